import type { Sql } from "../prepared";
import { channels } from "@/lib/events";

/**
 * NOTIFY `flowgate_progress` with `payload` (lib/step-progress.ts), in its own autocommit
 * statement: sent after the claims and settles it reports have committed, so a page that refetches
 * on it reads them. Prepared: a busy worker sends one every few milliseconds.
 */
export async function notifyProgress(sql: Sql, payload: string): Promise<void> {
  await sql`select pg_notify(${channels.progress}, ${payload})`;
}
