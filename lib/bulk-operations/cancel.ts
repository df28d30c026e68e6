import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { bulkOperationItems, bulkOperations, isUuid, type Actor, type BulkOperation } from "@/db/schema";
import { authorize, type SessionUser } from "@/lib/auth/permissions";
import { conflict, notFound } from "@/lib/errors";
import { parseInput, type Untrusted } from "@/lib/validate";
import { cancelBulkSchema } from "./inputs";
import { notifyBulkProgress } from "./progress";

/**
 * Cancels a running bulk operation in one transaction: its row FOR UPDATE (which waits for the
 * target being acted on now, whose transaction holds it FOR SHARE, and stops every later one),
 * state `cancelled` with who and why, and its pending targets marked `skipped`; open pages hear
 * of it from the progress notification sent in the same transaction. Instances already
 * paused or resumed stay so: each was its own command, with its own history row.
 * Who may: whoever may do the operation's action (instances:pause or instances:resume).
 * Errors: not_found (unknown or malformed id), forbidden, invalid (no reason), conflict (not running).
 */
export async function cancelBulkOperation(db: Db, id: string, raw: Untrusted, user: SessionUser, actor: Actor): Promise<BulkOperation> {
  if (!isUuid(id)) throw notFound("Bulk operation");
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(bulkOperations).where(eq(bulkOperations.id, id)).for("update");
    if (!current) throw notFound("Bulk operation");
    authorize(user, current.action === "pause" ? "instances:pause" : "instances:resume");
    // The role first: someone who may not cancel learns nothing from a field error.
    const input = parseInput(cancelBulkSchema, raw);
    if (current.state !== "running") throw conflict(`This operation is already ${current.state}`);
    await tx
      .update(bulkOperationItems)
      .set({ status: "skipped", doneAt: sql`now()` })
      .where(and(eq(bulkOperationItems.operationId, id), eq(bulkOperationItems.status, "pending")));
    const [cancelled] = await tx
      .update(bulkOperations)
      .set({ state: "cancelled", finishedAt: sql`now()`, cancelledByLabel: actor.label, cancelReason: input.reason, leaseOwner: null, leaseExpiresAt: null })
      .where(eq(bulkOperations.id, id))
      .returning();
    await notifyBulkProgress(tx, id);
    return cancelled!;
  });
}
