import path from "node:path";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import { createDb } from "./client";
import { ensureAppRole } from "./roles";

export const MIGRATIONS_FOLDER = path.resolve(process.cwd(), "db/migrations");

/**
 * Applies committed migrations over one dedicated connection as the owner (`url`), then closes it.
 * With `appUrl` (the role the dashboard and worker use), also makes that role least-privileged
 * (db/roles.ts ensureAppRole): run it after every migration so new tables are granted too.
 */
export async function migrateDatabase(url: string, options: { appUrl?: string } = {}): Promise<void> {
  const { sql, db } = createDb(url, { max: 1 });
  try {
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    if (options.appUrl) await ensureAppRole(sql, options.appUrl);
  } finally {
    await sql.end();
  }
}
