import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, notificationAttempts, notifications, webhookAttempts, webhookDeliveries, webhookSubscriptions } from "@/db/schema";
import { pruneDeliveryLogs } from "@/lib/delivery-retention";
import { freshDatabase } from "../support/db";

// Issue 13 leftovers: old delivery attempts are pruned; what is still owed never is.
const t = await freshDatabase();
const DAY = 86_400_000;
const now = new Date();
const daysAgo = (n: number) => new Date(now.getTime() - n * DAY);

describe("pruning the delivery logs", () => {
  it("deletes finished webhook deliveries and notifications older than the retention, with their attempts, and keeps recent and pending ones", async () => {
    const [event] = await t.db.insert(events).values({ type: "workflow.instance.paused", payload: {} }).returning();
    const [subscription] = await t.db.insert(webhookSubscriptions).values({ url: "https://hooks.example.com/x", secret: "whsec_x" }).returning();
    const delivery = async (status: "pending" | "delivered" | "failed", createdAt: Date, tag: string) => {
      const [e] = await t.db.insert(events).values({ type: "workflow.instance.paused", payload: { tag } }).returning();
      const [d] = await t.db.insert(webhookDeliveries).values({ subscriptionId: subscription!.id, eventId: e!.id, status, createdAt }).returning();
      await t.db.insert(webhookAttempts).values({ deliveryId: d!.id, attempt: 1, ok: status === "delivered", latencyMs: 5, startedAt: createdAt });
      return d!.id;
    };
    const notification = async (status: "pending" | "sent" | "failed" | "skipped", createdAt: Date, tag: string) => {
      const [n] = await t.db
        .insert(notifications)
        .values({ dedupeKey: tag, kind: "instance_paused", transport: "chat", target: "https://chat.example.com/x", eventId: event!.id, subject: tag, message: { text: "", html: "", chat: {} }, status, createdAt })
        .returning();
      await t.db.insert(notificationAttempts).values({ notificationId: n!.id, attempt: 1, ok: status === "sent", latencyMs: 5, startedAt: createdAt });
      return n!.id;
    };
    const oldDelivered = await delivery("delivered", daysAgo(31), "a");
    const oldFailed = await delivery("failed", daysAgo(40), "b");
    const oldPending = await delivery("pending", daysAgo(40), "c");
    const recent = await delivery("delivered", daysAgo(29), "d");
    const oldSent = await notification("sent", daysAgo(31), "n-a");
    const oldSkipped = await notification("skipped", daysAgo(31), "n-b");
    const oldOwed = await notification("pending", daysAgo(31), "n-c");
    const recentSent = await notification("sent", daysAgo(1), "n-d");

    // Batches of one: the loop goes on until nothing old is left.
    expect(await pruneDeliveryLogs(t.db, { now, retentionMs: 30 * DAY, batch: 1 })).toEqual({ webhookDeliveries: 2, notifications: 2 });
    const deliveries = (await t.db.select({ id: webhookDeliveries.id }).from(webhookDeliveries)).map((d) => d.id).sort();
    expect(deliveries).toEqual([oldPending, recent].sort());
    expect((await t.db.select().from(webhookAttempts)).map((a) => a.deliveryId).sort()).toEqual([oldPending, recent].sort());
    expect((await t.db.select({ id: notifications.id }).from(notifications)).map((n) => n.id).sort()).toEqual([oldOwed, recentSent].sort());
    expect((await t.db.select().from(notificationAttempts)).map((a) => a.notificationId).sort()).toEqual([oldOwed, recentSent].sort());
    expect([oldDelivered, oldFailed, oldSent, oldSkipped].every((id) => !deliveries.includes(id))).toBe(true);
    expect(await t.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, subscription!.id))).toHaveLength(1);
  });
});
