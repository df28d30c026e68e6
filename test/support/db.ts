import { randomBytes } from "node:crypto";
import { afterAll, inject } from "vitest";
import { createDb, type Db } from "@/db/client";
import { dropDatabase, ensureDatabase } from "@/db/database";

/**
 * `db`/`sql`/`ownerUrl`: the cluster's superuser, which owns the tables (set-up, and attacks on
 * the history). `url`: the same database as the least-privileged app role, what the dashboard
 * and worker connect with: spawned workers use it.
 */
export type TestDatabase = { db: Db; url: string; ownerUrl: string; name: string; sql: ReturnType<typeof createDb>["sql"] };

/**
 * A new database cloned from the migrated template, dropped after the file's tests.
 * Call it at the top level of a test file: `const t = await freshDatabase();`.
 */
export async function freshDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(adminUrl, name, "flowgate_template");
  const ownerUrl = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const url = inject("pgAppUrl").replace(/\/[^/]*$/, `/${name}`);
  const { db, sql } = createDb(ownerUrl, { max: 20 });
  afterAll(async () => {
    await sql.end({ timeout: 5 });
    await dropDatabase(adminUrl, name);
  });
  return { db, url, ownerUrl, name, sql };
}
