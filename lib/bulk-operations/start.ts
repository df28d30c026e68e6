import "server-only";
import { eq, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db/client";
import { bulkOperationItems, bulkOperations, instances, type Actor, type BulkAction, type BulkFilter, type BulkOperation } from "@/db/schema";
import { conflict } from "@/lib/errors";
import { channels, notify } from "@/lib/events";
import { BULK_RESUME_RATE } from "@/lib/instances/bulk-limits";
import { bulkFilterSchema, targetWhere } from "@/lib/instances/bulk-filter";
import { instanceOrders } from "@/lib/instances/list-filter-where";
import { parseInput, type Untrusted } from "@/lib/validate";
import { filterPauseSchema, filterResumeSchema } from "./inputs";

/** Strips the filter to the fields given, as stored and answered. */
function storedFilter(filter: { status: string; workflow?: string; q?: string; input?: string }): BulkFilter {
  return {
    status: filter.status,
    ...(filter.workflow ? { workflow: filter.workflow } : {}),
    ...(filter.q ? { q: filter.q } : {}),
    ...(filter.input ? { input: filter.input } : {}),
  };
}

/**
 * How many instances a bulk `action` with this filter would act on now (the filter's matches in
 * a status the action applies to): what the operator confirms. Errors: invalid for a bad filter.
 */
export async function countBulkTargets(db: DbOrTx, action: BulkAction, raw: unknown): Promise<{ action: BulkAction; filter: BulkFilter; matched: number }> {
  const filter = storedFilter(parseInput(bulkFilterSchema, raw));
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(instances).where(targetWhere(action, filter));
  return { action, filter, matched: row?.n ?? 0 };
}

/**
 * Starts a bulk pause or resume of every instance the filter matches, in one transaction: the
 * operation row, and its targets fixed as they match now (in the list's order, newest change
 * first). The worker runs it (lib/bulk-operations/run.ts); this only records it and wakes the
 * workers. No cap on the count: nothing here holds a request open while it runs.
 * Errors: invalid (field errors) for bad input; conflict when nothing matches (nothing is recorded).
 */
export async function startBulkOperation(db: Db, action: BulkAction, raw: Untrusted, actor: Actor): Promise<BulkOperation> {
  const common = action === "pause" ? parseInput(filterPauseSchema, raw) : parseInput(filterResumeSchema, raw);
  const filter = storedFilter(common.filter);
  return db.transaction(async (tx) => {
    const [operation] = await tx
      .insert(bulkOperations)
      .values({
        action,
        filter,
        reason: common.reason ?? null,
        mode: "mode" in common ? common.mode : null,
        force: "force" in common ? common.force : false,
        category: common.category ?? null,
        ticketUrl: common.ticketUrl ?? null,
        matched: 0,
        ratePerSecond: action === "resume" ? BULK_RESUME_RATE : null,
        actorId: actor.id,
        actorLabel: actor.label,
      })
      .returning();
    // One statement however many match: the targets and their order, fixed now.
    const inserted = await tx.execute(sql`
      insert into ${bulkOperationItems} (operation_id, instance_id, seq)
      select ${operation!.id}::uuid, ${instances.id}, row_number() over (order by ${sql.join(instanceOrders.changed, sql`, `)})
      from ${instances} where ${targetWhere(action, filter)}`);
    if (!inserted.count) {
      const what = action === "pause" ? "running or waiting" : "paused";
      throw conflict(`No ${what} instance matches this filter: nothing to ${action}`);
    }
    const [counted] = await tx.update(bulkOperations).set({ matched: inserted.count }).where(eq(bulkOperations.id, operation!.id)).returning();
    await notify(tx, channels.bulk, counted!.id);
    return counted!;
  });
}
