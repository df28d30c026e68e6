import "server-only";
import { sql } from "drizzle-orm";
import type { DbOrTx, Tx } from "@/db/client";
import { accessChanges, type AccessAction } from "@/db/schema";
import { actorOf, type SessionUser } from "@/lib/auth/permissions";
import { enqueueAccessEvent } from "@/lib/events";

/** Appends one access change, and its `access.changed` event, inside the transaction of the change itself. */
export async function recordAccessChange(
  tx: Tx,
  by: SessionUser,
  change: { subject: { id: string; email: string }; action: AccessAction; details: Record<string, unknown> },
): Promise<void> {
  const actor = actorOf(by);
  await tx.insert(accessChanges).values({ subjectId: change.subject.id, subjectEmail: change.subject.email, action: change.action, actorId: actor.id, actorLabel: actor.label, details: change.details });
  await enqueueAccessEvent(tx, { subject: { id: change.subject.id, email: change.subject.email }, action: change.action, details: change.details, actor });
}

/** The newest access changes first: the access log page and API (`limit` null: all of it, for export). */
export function recentAccessChanges(db: DbOrTx, limit: number | null = 100) {
  // `nulls last` as in access_changes_time_idx, so the newest are read off the index, not sorted.
  const query = db.select().from(accessChanges).orderBy(sql`${accessChanges.createdAt} desc nulls last`, sql`${accessChanges.id} desc nulls last`);
  return limit === null ? query : query.limit(limit);
}
