import "server-only";
import { and, asc, desc, eq, gt, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { bulkItemStatuses, bulkOperationItems, bulkOperations, instances, isUuid, UUID_PATTERN, type BulkItemStatus, type BulkOperation } from "@/db/schema";
import { anyUuid } from "@/db/sql-arrays";
import { decodeCursor, encodeCursor, limitSchema } from "@/lib/cursor";
import { notFound } from "@/lib/errors";
import { parseInput } from "@/lib/validate";

export type BulkCounts = Record<BulkItemStatus, number>;

/** Targets by status, read from the targets themselves (so never stale): the progress. */
async function countsOf(db: DbOrTx, ids: string[]): Promise<Map<string, BulkCounts>> {
  const out = new Map<string, BulkCounts>();
  if (!ids.length) return out;
  const rows = await db
    .select({ operationId: bulkOperationItems.operationId, status: bulkOperationItems.status, n: sql<number>`count(*)::int` })
    .from(bulkOperationItems)
    .where(anyUuid(bulkOperationItems.operationId, ids))
    .groupBy(bulkOperationItems.operationId, bulkOperationItems.status);
  for (const id of ids) out.set(id, Object.fromEntries(bulkItemStatuses.map((s) => [s, 0])) as BulkCounts);
  for (const r of rows) out.get(r.operationId)![r.status] = r.n;
  return out;
}

/** What the API and the pages answer for an operation: the row without its lease, with its counts. */
export type BulkOperationView = Omit<BulkOperation, "leaseOwner" | "leaseExpiresAt"> & { counts: BulkCounts; done: number };

function view(row: BulkOperation, counts: BulkCounts): BulkOperationView {
  const { leaseOwner: _owner, leaseExpiresAt: _expires, ...rest } = row;
  return { ...rest, counts, done: counts.succeeded + counts.refused + counts.skipped };
}

export const listBulkOperationsQuery = z.object({ cursor: z.string().max(500).optional(), limit: limitSchema });
const listCursor = z.tuple([z.string().datetime(), z.string().regex(UUID_PATTERN)]);

/** Bulk operations, newest first, keyset-paginated on (createdAt, id). */
export async function listBulkOperations(db: DbOrTx, raw: z.input<typeof listBulkOperationsQuery>) {
  const query = parseInput(listBulkOperationsQuery, raw);
  const after = decodeCursor(listCursor, query.cursor);
  const rows = await db
    .select()
    .from(bulkOperations)
    .where(after ? or(lt(bulkOperations.createdAt, new Date(after[0])), and(eq(bulkOperations.createdAt, new Date(after[0])), lt(bulkOperations.id, after[1]))) : undefined)
    .orderBy(desc(bulkOperations.createdAt), desc(bulkOperations.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const counts = await countsOf(db, page.map((r) => r.id));
  const items = page.map((r) => view(r, counts.get(r.id)!));
  const last = page.at(-1);
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null };
}

/** One operation with its counts. Errors: not_found for an unknown or malformed id. */
export async function getBulkOperation(db: DbOrTx, id: string): Promise<BulkOperationView> {
  if (!isUuid(id)) throw notFound("Bulk operation");
  const [row] = await db.select().from(bulkOperations).where(eq(bulkOperations.id, id));
  if (!row) throw notFound("Bulk operation");
  return view(row, (await countsOf(db, [id])).get(id)!);
}

export const bulkTargetsQuery = z.object({
  status: z.enum([...bulkItemStatuses, "all"]).default("all"),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/**
 * An operation's per-instance results in the order they are worked through (`seq`), with the
 * instance's workflow and current status; `status` narrows them (refused, succeeded, …).
 */
export async function listBulkTargets(db: DbOrTx, id: string, raw: z.input<typeof bulkTargetsQuery>) {
  if (!isUuid(id)) throw notFound("Bulk operation");
  const query = parseInput(bulkTargetsQuery, raw);
  const after = decodeCursor(z.number().int(), query.cursor);
  const rows = await db
    .select({
      instanceId: bulkOperationItems.instanceId,
      seq: bulkOperationItems.seq,
      status: bulkOperationItems.status,
      code: bulkOperationItems.code,
      message: bulkOperationItems.message,
      doneAt: bulkOperationItems.doneAt,
      workflowKey: instances.workflowKey,
      instanceStatus: instances.status,
    })
    .from(bulkOperationItems)
    .innerJoin(instances, eq(instances.id, bulkOperationItems.instanceId))
    .where(
      and(
        eq(bulkOperationItems.operationId, id),
        query.status === "all" ? undefined : eq(bulkOperationItems.status, query.status),
        after !== undefined ? gt(bulkOperationItems.seq, after) : undefined,
      ),
    )
    .orderBy(asc(bulkOperationItems.seq))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(last.seq) : null };
}
