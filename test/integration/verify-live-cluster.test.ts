/**
 * `npm run audit:verify` (and the db chores) next to a running `npm start`: with the same
 * environment they find the embedded server already running on the data folder and verify
 * against it, instead of trying to boot a second one (which exited 2 and asked to kill the live
 * database). The running server is left running.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createDb } from "@/db/client";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { createInstance } from "../support/factories";
import { freePort } from "../support/free-port";
import { runScript } from "../support/run-script";

const dataRoot = await mkdtemp(path.join(os.tmpdir(), "flowgate-live-"));
const port = await freePort();
// What `npm start` leaves running: the cluster under <FLOWGATE_DATA_DIR>/pg with a migrated `flowgate` database.
const cluster = await startEmbeddedPostgres({ dir: path.join(dataRoot, "pg"), port });
await ensureDatabase(cluster.url(), "flowgate");
await migrateDatabase(cluster.url("flowgate"));
const { db, sql } = createDb(cluster.url("flowgate"), { max: 2 });
afterAll(async () => {
  await sql.end();
  await cluster.stop();
  await rm(dataRoot, { recursive: true, force: true });
});

/** Runs a script the way `npm run` does, with the environment `npm start` was given. */
const run = (script: string, args: string[] = []) => runScript(script, args, { dataRoot, port });

it("audit:verify and db:migrate use the running server and leave it running", async () => {
  const instance = await createInstance(db);
  await pauseInstance(db, { instanceId: instance.id, reason: "audited while live" }, { id: null, label: "ops@test.dev" });

  const verify = await run("scripts/audit-verify.ts");
  expect(verify.out).toContain("chain verified");
  expect(verify.code).toBe(0);
  const migrate = await run("db/cli.ts", ["migrate"]);
  expect(migrate.out).toContain("migrations applied");
  expect(migrate.code).toBe(0);

  // Still the same server, still serving this process's pool.
  const [row] = await sql<{ ok: number }[]>`select 1 as ok`;
  expect(row?.ok).toBe(1);
}, 120_000);
