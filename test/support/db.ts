import { randomBytes } from "node:crypto";
import { afterAll, inject } from "vitest";
import { createDb, type Db } from "@/db/client";
import { dropDatabase, ensureDatabase } from "@/db/database";

export type TestDatabase = { db: Db; url: string; name: string; sql: ReturnType<typeof createDb>["sql"] };

/**
 * A new database cloned from the migrated template, dropped after the file's tests.
 * Call it at the top level of a test file: `const t = await freshDatabase();`.
 */
export async function freshDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(adminUrl, name, "flowgate_template");
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const { db, sql } = createDb(url, { max: 20 });
  afterAll(async () => {
    await sql.end({ timeout: 5 });
    await dropDatabase(adminUrl, name);
  });
  return { db, url, name, sql };
}
