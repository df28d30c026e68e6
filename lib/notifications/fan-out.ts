import "server-only";
import { inArray, isNull, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { events, type Instance } from "@/db/schema";
import { log } from "@/lib/log";
import { queueGateNotice, queueInstanceNotice, readGateFacts, type NotifyConfig } from "./queue";

type EventRow = Pick<typeof events.$inferSelect, "id" | "type" | "instanceId" | "payload">;

/**
 * Turns committed outbox events into notifications: takes events not yet notified
 * (`events.notified_at is null`, `FOR UPDATE SKIP LOCKED`, so several workers share the work),
 * queues what each means (a gate requested, escalated or delegated; an instance paused or resumed),
 * and marks them notified, all in one transaction. Its own marker, not `published_at` (which means
 * "handed to webhooks"), so neither fan-out waits for the other. An event whose notices cannot be
 * queued (a bug, a gate gone) is logged and marked, inside its own savepoint, so it never blocks
 * the events after it. Returns how many events it took and notifications it queued.
 */
export async function fanOutNotifications(db: Db, config: NotifyConfig, limit = 200): Promise<{ events: number; notifications: number }> {
  return db.transaction(async (tx) => {
    const batch = await tx
      .select({ id: events.id, type: events.type, instanceId: events.instanceId, payload: events.payload })
      .from(events)
      .where(isNull(events.notifiedAt))
      .orderBy(events.id)
      .limit(limit)
      .for("update", { skipLocked: true });
    if (!batch.length) return { events: 0, notifications: 0 };
    let queued = 0;
    for (const event of batch) {
      try {
        queued += await tx.transaction((sp) => noticesOf(sp, event, config));
      } catch (error) {
        log.error({ err: error, eventId: event.id, type: event.type }, "notifications for an event could not be queued; skipped");
      }
    }
    await tx.update(events).set({ notifiedAt: sql`now()` }).where(inArray(events.id, batch.map((e) => e.id)));
    return { events: batch.length, notifications: queued };
  });
}

/** What one event means for people and channels. Events no one is told about queue nothing. */
async function noticesOf(tx: Tx, event: EventRow, config: NotifyConfig): Promise<number> {
  const payload = event.payload as Record<string, unknown>;
  const key = `event:${event.id}`;
  switch (event.type) {
    case "workflow.approval.requested":
    case "workflow.approval.escalated": {
      const facts = await readGateFacts(tx, (payload.gate as { id: string }).id);
      if (!facts) return 0;
      return queueGateNotice(tx, facts, event.type === "workflow.approval.requested" ? "gate_opened" : "gate_escalated", key, config, { eventId: event.id });
    }
    case "workflow.approval.delegated": {
      const delegation = payload.delegation as { toUserId: string; fromLabel: string };
      const facts = await readGateFacts(tx, (payload.gate as { id: string }).id);
      if (!facts) return 0;
      // The delegate alone: everyone else's turn is unchanged, and channels heard of the gate when it opened.
      return queueGateNotice(tx, facts, "gate_delegated", key, config, { eventId: event.id, onlyUserId: delegation.toUserId, delegatedBy: delegation.fromLabel, channels: false });
    }
    case "workflow.instance.paused":
    case "workflow.instance.resumed":
      return queueInstanceNotice(tx, event.type === "workflow.instance.paused" ? "instance_paused" : "instance_resumed", payload as unknown as Instance, key, config, event.id);
    default:
      return 0;
  }
}
