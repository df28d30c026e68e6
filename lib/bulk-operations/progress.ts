import "server-only";
import { sql } from "drizzle-orm";
import type postgres from "postgres";
import type { DbOrTx } from "@/db/client";
import { channels } from "@/lib/events";
import { bulkProgressEventSchema, type BulkProgressEvent } from "./progress-event";

/**
 * Shortest time between two progress notifications of one running operation, in ms: a page's
 * bar moves about four times a second however fast the targets go (a 10,000-target pause sends
 * about 4 per second of its run, not 10,000), and each costs one count on
 * `bulk_operation_items_status_idx`. The end of an operation is always announced.
 */
export const PROGRESS_EVERY_MS = 250;

/**
 * NOTIFYs `flowgate_bulk_progress` with the operation's state and its targets by status
 * (BulkProgressEvent), read in the caller's transaction: PostgreSQL delivers it only if that
 * transaction commits, and then the counts are exactly what it committed (a target is marked in
 * the transaction that acts on it). One statement; does nothing for an unknown id.
 */
export async function notifyBulkProgress(tx: DbOrTx, operationId: string): Promise<void> {
  await tx.execute(sql`
    select pg_notify(${channels.bulkProgress}, json_build_object(
      'operationId', o.id, 'state', o.state, 'matched', o.matched,
      'counts', json_build_object('pending', c.pending, 'succeeded', c.succeeded, 'refused', c.refused, 'skipped', c.skipped))::text)
    from bulk_operations o, lateral (
      select count(*) filter (where i.status = 'pending')::int as pending,
             count(*) filter (where i.status = 'succeeded')::int as succeeded,
             count(*) filter (where i.status = 'refused')::int as refused,
             count(*) filter (where i.status = 'skipped')::int as skipped
      from bulk_operation_items i where i.operation_id = o.id) c
    where o.id = ${operationId}`);
}

/**
 * Calls `onEvent` with every progress event of operation `operationId` this process hears.
 * Through postgres.js's `listen`, which keeps one LISTEN connection per process and one LISTEN
 * per channel however many subscribe: a thousand open operation pages cost the database one
 * connection per dashboard process, and each notification is filtered here by its id.
 * Resolves once the LISTEN is in place (so a read after it misses nothing); `unlisten` stops.
 */
export async function listenBulkProgress(listener: postgres.Sql, operationId: string, onEvent: (event: BulkProgressEvent) => void): Promise<{ unlisten: () => Promise<void> }> {
  return listener.listen(channels.bulkProgress, (payload) => {
    // Cheap test first: most notifications on a busy system belong to other operations.
    if (!payload.includes(operationId)) return;
    const parsed = bulkProgressEventSchema.safeParse(JSON.parse(payload));
    if (parsed.success && parsed.data.operationId === operationId) onEvent(parsed.data);
  });
}
