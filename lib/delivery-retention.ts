import "server-only";
import { and, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { notifications, webhookDeliveries } from "@/db/schema";

/** How long finished webhook deliveries and notifications (with their attempt logs) are kept: 30 days. */
export const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;

/**
 * Deletes webhook deliveries and notifications that are finished (delivered or given up; sent,
 * failed or skipped) and were created before `now − retentionMs`, with their attempts (cascade), in
 * batches of `batch` so no statement holds many locks. Pending ones are never deleted, however old:
 * they are still owed. Returns how many of each went.
 */
export async function pruneDeliveryLogs(db: Db, options: { retentionMs?: number; now?: Date; batch?: number } = {}): Promise<{ webhookDeliveries: number; notifications: number }> {
  const before = new Date((options.now ?? new Date()).getTime() - (options.retentionMs ?? DEFAULT_RETENTION_MS));
  const batch = options.batch ?? 1000;
  let webhooks = 0;
  for (;;) {
    const old = db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(and(inArray(webhookDeliveries.status, ["delivered", "failed"]), lt(webhookDeliveries.createdAt, before))).limit(batch);
    const gone = await db.delete(webhookDeliveries).where(inArray(webhookDeliveries.id, old)).returning({ id: webhookDeliveries.id });
    webhooks += gone.length;
    if (gone.length < batch) break;
  }
  let sent = 0;
  for (;;) {
    const old = db.select({ id: notifications.id }).from(notifications).where(and(sql`${notifications.status} <> 'pending'`, lt(notifications.createdAt, before))).limit(batch);
    const gone = await db.delete(notifications).where(inArray(notifications.id, old)).returning({ id: notifications.id });
    sent += gone.length;
    if (gone.length < batch) break;
  }
  return { webhookDeliveries: webhooks, notifications: sent };
}
