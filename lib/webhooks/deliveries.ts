import "server-only";
import { and, desc, eq, inArray, isNotNull, gt, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "@/db/client";
import { events, webhookAttempts, webhookDeliveries, webhookSubscriptions } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { isUuid } from "@/lib/domain";
import { conflict, notFound } from "@/lib/errors";
import { log } from "@/lib/log";
import { parseInput, type Untrusted } from "@/lib/validate";
import { getSubscription } from "./subscriptions";
import { webhookIdOf } from "./delivery";

/** The delivery log: a subscription's recent deliveries with every attempt, and replay. */

export const deliveryListQuery = z.object({
  limit: z.coerce.number({ error: "limit is a number from 1 to 100" }).int().min(1, "limit is a number from 1 to 100").max(100, "limit is a number from 1 to 100").default(50),
});

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
type AttemptRow = typeof webhookAttempts.$inferSelect;

/** A delivery as the log shows it: the row without its lease, its event's type, its webhook-id and attempts (oldest first). */
export type DeliveryView = Omit<DeliveryRow, "leaseToken"> & { eventType: string; webhookId: string; inFlight: boolean; attemptLog: Omit<AttemptRow, "deliveryId">[] };

/**
 * A subscription's newest deliveries (`limit`, 1–100, default 50), newest first, each with its
 * attempts. Errors: 404 for an unknown subscription, 400 for a bad limit.
 */
export async function listDeliveries(db: DbOrTx, subscriptionId: string, raw: Untrusted = {}): Promise<DeliveryView[]> {
  const { limit } = parseInput(deliveryListQuery, raw);
  await getSubscription(db, subscriptionId);
  const rows = await db
    .select({ delivery: webhookDeliveries, eventType: events.type, inFlight: sql<boolean>`(${webhookDeliveries.leaseToken} is not null and ${webhookDeliveries.nextAttemptAt} > now())` })
    .from(webhookDeliveries)
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.subscriptionId, subscriptionId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.eventId))
    .limit(limit);
  const attempts = rows.length
    ? await db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, rows.map((r) => r.delivery.id))).orderBy(webhookAttempts.id)
    : [];
  return rows.map(({ delivery, eventType, inFlight }) => {
    const { leaseToken: _lease, ...rest } = delivery;
    return {
      ...rest,
      eventType,
      webhookId: webhookIdOf(delivery.eventId),
      inFlight,
      attemptLog: attempts.filter((a) => a.deliveryId === delivery.id).map(({ deliveryId: _d, ...a }) => a),
    };
  });
}

export const replaySchema = z.object({ deliveryId: z.string() });

/**
 * Asks for a delivery again: it becomes due now, and its next attempt (same webhook-id, same body,
 * a fresh timestamp and signature) is logged as a replay; the worker sends it. Whatever its state
 * (delivered, given up, waiting for a retry). Errors: 404; 409 while its subscription is disabled
 * (enable it first) or an attempt is in flight.
 */
export async function replayDelivery(db: Db, raw: Untrusted, by: SessionUser): Promise<Omit<DeliveryRow, "leaseToken">> {
  const { deliveryId } = parseInput(replaySchema, raw);
  if (!isUuid(deliveryId)) throw notFound("Delivery");
  return db.transaction(async (tx) => {
    const [found] = await tx.select({ subscriptionId: webhookDeliveries.subscriptionId }).from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId));
    if (!found) throw notFound("Delivery");
    // The subscription first, then the delivery: the order recordAttempt locks them in.
    const [subscription] = await tx.select({ active: webhookSubscriptions.active }).from(webhookSubscriptions).where(eq(webhookSubscriptions.id, found.subscriptionId)).for("share");
    if (!subscription) throw notFound("Delivery");
    if (!subscription.active) throw conflict("The webhook is disabled; enable it first");
    const [busy] = await tx
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.id, deliveryId), isNotNull(webhookDeliveries.leaseToken), gt(webhookDeliveries.nextAttemptAt, sql`now()`)))
      .for("update");
    if (busy) throw conflict("An attempt of this delivery is in flight; wait for its result");
    const [row] = await tx
      .update(webhookDeliveries)
      .set({ status: "pending", nextAttemptAt: sql`now()`, replayRequested: true, leaseToken: null })
      .where(eq(webhookDeliveries.id, deliveryId))
      .returning();
    log.info({ deliveryId, by: by.email }, "webhook delivery replay requested");
    const { leaseToken: _lease, ...view } = row!;
    return view;
  });
}
