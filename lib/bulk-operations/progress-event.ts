import { z } from "zod";
import { bulkItemStatuses, bulkOperationStates } from "@/lib/domain";

/**
 * One progress event of a bulk operation, as the worker NOTIFYs it on `flowgate_bulk_progress`
 * (lib/bulk-operations/progress.ts) and `GET /api/v1/bulk-operations/{id}/stream` relays it:
 * the operation's state and its targets counted by status, read in the transaction that sent it.
 * No database import: the operation's page (a client component) parses the stream with it.
 */
export const bulkProgressEventSchema = z
  .object({
    operationId: z.string(),
    state: z.enum(bulkOperationStates),
    matched: z.number().int(),
    counts: z.object(Object.fromEntries(bulkItemStatuses.map((s) => [s, z.number().int()])) as Record<(typeof bulkItemStatuses)[number], z.ZodNumber>),
  })
  .meta({ id: "BulkProgress", description: "An operation's state and its targets by status, as of the transaction that sent it" });

export type BulkProgressEvent = z.infer<typeof bulkProgressEventSchema>;

/** Targets no longer pending (succeeded, refused or skipped): `done` in the operation's JSON. */
export const doneOf = (counts: BulkProgressEvent["counts"]) => counts.succeeded + counts.refused + counts.skipped;

/**
 * Folds a progress event into what the page shows. Events can arrive out of order around a
 * (re)connect (the stream's first event is a fresh read, notifications sent just before it may
 * follow it), so an event older than what is shown is dropped: counts only grow while an
 * operation runs (a target leaves `pending` once, in its own transaction), and an ended
 * operation never runs again. Returns `current` itself when nothing changes.
 */
export function mergeProgress<T extends { state: BulkProgressEvent["state"]; matched: number; counts: BulkProgressEvent["counts"]; done: number }>(current: T, event: BulkProgressEvent): T {
  if (current.state !== "running") return current;
  const done = doneOf(event.counts);
  if (event.state === "running" && done < current.done) return current;
  return { ...current, state: event.state, matched: event.matched, counts: event.counts, done };
}
