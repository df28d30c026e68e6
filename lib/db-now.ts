import "server-only";
import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";

/**
 * The database's clock (the transaction's start, `now()`): what automatic actions compare times
 * against, so that the app's and the database's clocks need not agree and a test can set the
 * times of its rows relative to it.
 */
export async function databaseNow(db: DbOrTx): Promise<Date> {
  const rows = await db.execute<{ now: string | Date }>(sql`select now() as now`);
  return new Date([...rows][0]!.now);
}
