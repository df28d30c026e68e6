import "server-only";
import { and, eq, inArray, lte, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import type { Db } from "@/db/client";
import { events, webhookAttempts, webhookDeliveries, webhookSubscriptions } from "@/db/schema";
import { outboundFetch, outboundRefusal, type OutboundResponse } from "@/lib/outbound";
import { clipText, storableText } from "@/lib/text";

/*
 * Sending deliveries: claim the due ones, POST each signed per Standard Webhooks, record the
 * attempt and decide what comes next (done, retry later, give up, disable the subscription). The
 * loop that drives this, with its concurrency, is engine/webhook-loop.ts.
 */

/** How deliveries are retried and when a subscription is disabled. Times in milliseconds. */
export type DeliveryPolicy = {
  /** A receiver must have answered (headers and the excerpt) within this. */
  timeoutMs: number;
  /** The first retry waits about this long; each next one twice as long (before jitter). */
  retryBaseMs: number;
  /** No retry waits longer than this. */
  retryMaxMs: number;
  /** A delivery is given up (`failed`) after this many attempts. */
  maxAttempts: number;
  /** A subscription is disabled after this many failed attempts in a row, across its deliveries. */
  disableAfterFailures: number;
};

/**
 * 10 s to answer; retries after about 30 s, 1, 2, 4, 8, 16, 32 min, then every hour up to 12
 * attempts (about 6 h); a subscription whose last 10 attempts all failed is disabled.
 */
export const defaultDeliveryPolicy: DeliveryPolicy = { timeoutMs: 10_000, retryBaseMs: 30_000, retryMaxMs: 3_600_000, maxAttempts: 12, disableAfterFailures: 10 };

/** Bytes of a response body kept in the delivery log. */
export const EXCERPT_BYTES = 1024;

/**
 * The wait before the retry that follows failed attempt `attempt` (1-based): base·2^(attempt−1),
 * capped at retryMaxMs, then "equal jitter" (a uniform pick in its upper half) so deliveries that
 * failed together do not all come back together. `random` returns [0, 1).
 */
export function retryDelayMs(attempt: number, policy: Pick<DeliveryPolicy, "retryBaseMs" | "retryMaxMs">, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** The stable id of every attempt of one event's delivery (`webhook-id`): receivers deduplicate on it. */
export const webhookIdOf = (eventId: number): string => `evt_${eventId}`;

type EventRow = Pick<typeof events.$inferSelect, "id" | "type" | "version" | "instanceId" | "payload" | "createdAt">;

/**
 * The JSON body of a delivery, the same bytes on every attempt: `{ type, timestamp (the event's,
 * ISO 8601), data: { eventId, version, instanceId, payload } }`, payload as the outbox holds it.
 */
export function webhookBody(event: EventRow): string {
  return JSON.stringify({ type: event.type, timestamp: event.createdAt.toISOString(), data: { eventId: event.id, version: event.version, instanceId: event.instanceId, payload: event.payload } });
}

/** A claimed delivery with what sending it needs. `leaseToken` proves the claim when recording. */
export type ClaimedDelivery = {
  id: string;
  subscriptionId: string;
  attempt: number;
  replay: boolean;
  leaseToken: string;
  url: string;
  secret: string;
  /** The secret before a rotation, while its overlap lasts: it signs too. */
  previousSecret: string | null;
  webhookId: string;
  body: string;
};

/**
 * Claims due deliveries of active subscriptions: at most `slots(subscriptionId)` per subscription
 * (the caller's room for it) and `limit` in all, each subscription's oldest due first. The claim
 * locks with `FOR UPDATE SKIP LOCKED` and re-checks, under the lock, that the delivery is still
 * pending and due and its subscription active; it then counts the attempt and moves
 * next_attempt_at to the lease's end (`leaseMs` from now), so a worker that dies mid-send leaves
 * the delivery due again then: retried, never lost. Two workers never hold one delivery at once.
 */
export async function claimDeliveries(db: Db, options: { limit: number; perSubscription: number; slots: (subscriptionId: string) => number; leaseMs: number }): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  // Each subscription's due deliveries, few per subscription, so a backlog at one endpoint cannot crowd out the others.
  const candidates = await db.execute<{ id: string; subscription_id: string }>(sql`
    select d.id, s.id as subscription_id from ${webhookSubscriptions} s
    cross join lateral (
      select id from ${webhookDeliveries} d
      where d.subscription_id = s.id and d.status = 'pending' and d.next_attempt_at <= now()
      order by d.next_attempt_at, d.id limit ${options.perSubscription}
    ) d
    where s.active`);
  const room = new Map<string, number>();
  const wanted: string[] = [];
  for (const c of candidates) {
    const left = room.get(c.subscription_id) ?? options.slots(c.subscription_id);
    if (left <= 0 || wanted.length >= options.limit) continue;
    room.set(c.subscription_id, left - 1);
    wanted.push(c.id);
  }
  if (!wanted.length) return [];
  const locked = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        inArray(webhookDeliveries.id, wanted),
        eq(webhookDeliveries.status, "pending"),
        lte(webhookDeliveries.nextAttemptAt, sql`now()`),
        sql`exists (select 1 from ${webhookSubscriptions} where ${webhookSubscriptions.id} = ${webhookDeliveries.subscriptionId} and ${webhookSubscriptions.active})`,
      ),
    )
    .for("update", { skipLocked: true });
  const claimed = await db
    .update(webhookDeliveries)
    .set({ leaseToken: sql`gen_random_uuid()`, attempts: sql`${webhookDeliveries.attempts} + 1`, nextAttemptAt: sql`now() + ${options.leaseMs} * interval '1 millisecond'` })
    .where(inArray(webhookDeliveries.id, locked))
    .returning({ id: webhookDeliveries.id, attempts: webhookDeliveries.attempts, leaseToken: webhookDeliveries.leaseToken, replay: webhookDeliveries.replayRequested });
  if (!claimed.length) return [];
  const details = await db
    .select({ id: webhookDeliveries.id, subscriptionId: webhookSubscriptions.id, url: webhookSubscriptions.url, secret: webhookSubscriptions.secret, previousSecret: sql<string | null>`case when ${webhookSubscriptions.previousSecretExpiresAt} > now() then ${webhookSubscriptions.previousSecret} end`, event: { id: events.id, type: events.type, version: events.version, instanceId: events.instanceId, payload: events.payload, createdAt: events.createdAt } })
    .from(webhookDeliveries)
    .innerJoin(webhookSubscriptions, eq(webhookSubscriptions.id, webhookDeliveries.subscriptionId))
    .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
    .where(inArray(webhookDeliveries.id, claimed.map((c) => c.id)));
  const byId = new Map(details.map((d) => [d.id, d]));
  return claimed.flatMap((c) => {
    const d = byId.get(c.id);
    if (!d || !c.leaseToken) return [];
    return [{ id: c.id, subscriptionId: d.subscriptionId, attempt: c.attempts, replay: c.replay, leaseToken: c.leaseToken, url: d.url, secret: d.secret, previousSecret: d.previousSecret, webhookId: webhookIdOf(d.event.id), body: webhookBody(d.event) }];
  });
}

/** What one attempt came to. `latencyMs` runs from sending to the end of the excerpt. */
export type AttemptOutcome = { ok: boolean; statusCode: number | null; latencyMs: number; responseExcerpt: string | null; error: string | null; startedAt: Date };

/**
 * POSTs the delivery's body with the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`
 * in seconds, `webhook-signature` `v1,<base64 HMAC-SHA256>` by `standardwebhooks`), never following
 * a redirect. A 2xx is success; anything else, a timeout (`timeoutMs`, headers and excerpt
 * together), a network error or `signal` (the loop stopping) is a failure with its reason. Never throws.
 */
export async function sendDelivery(delivery: Pick<ClaimedDelivery, "url" | "secret" | "webhookId" | "body"> & { previousSecret?: string | null }, options: { timeoutMs: number; signal?: AbortSignal }): Promise<AttemptOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    // Checked at every send, not only when saved: a name may resolve elsewhere since.
    const refused = await outboundRefusal(delivery.url);
    if (refused) return { ok: false, statusCode: null, latencyMs: elapsed(), responseExcerpt: null, error: clipText(refused, 500), startedAt };
    // After a rotation, the old secret signs too (space-separated, per Standard Webhooks) until its overlap ends.
    const signature = [delivery.secret, delivery.previousSecret]
      .filter((s): s is string => !!s)
      .map((s) => new Webhook(s).sign(delivery.webhookId, startedAt, delivery.body))
      .join(" ");
    const response = await outboundFetch(delivery.url, {
      method: "POST",
      redirect: "manual",
      signal,
      headers: {
        "content-type": "application/json",
        "user-agent": "Flowgate-Webhooks/1",
        "webhook-id": delivery.webhookId,
        "webhook-timestamp": String(Math.floor(startedAt.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body: delivery.body,
    });
    const responseExcerpt = await excerpt(response);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, statusCode: response.status, latencyMs: elapsed(), responseExcerpt, error: ok ? null : `HTTP ${response.status}`, startedAt };
  } catch (error) {
    const reason = timeout.aborted ? `No answer within ${options.timeoutMs} ms` : options.signal?.aborted ? "Stopped: the worker shut down mid-send" : describe(error);
    return { ok: false, statusCode: null, latencyMs: elapsed(), responseExcerpt: null, error: clipText(storableText(reason), 500), startedAt };
  }
}

/** The body's first EXCERPT_BYTES as text; the rest is not read. (Notifications' chat sends log the same excerpt.) */
export async function excerpt(response: OutboundResponse): Promise<string | null> {
  if (!response.body) return null;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < EXCERPT_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value as Uint8Array);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  const bytes = new Uint8Array(Math.min(size, EXCERPT_BYTES));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.byteLength;
    if (offset >= bytes.length) break;
  }
  // Cut bytes may split a character: the decoder makes it U+FFFD, and storableText drops NUL, which PostgreSQL refuses.
  return storableText(new TextDecoder("utf-8").decode(bytes));
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the socket's error ("fetch failed"); its cause says what happened (ECONNREFUSED, …).
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}

/**
 * Records an attempt and what follows, in one transaction that locks the subscription (so its
 * failure run and an admin's switch serialise): the attempt row always (it happened); the
 * delivery only while this claim still holds it (`leaseToken`): delivered, or retried after
 * retryDelayMs, or `failed` after its last attempt; the subscription's failure run reset by a
 * success, or lengthened and, at `disableAfterFailures`, the subscription disabled with the reason.
 * Returns whether this attempt disabled it. A deleted subscription took its deliveries along: nothing to record.
 */
export async function recordAttempt(db: Db, delivery: Pick<ClaimedDelivery, "id" | "subscriptionId" | "attempt" | "replay" | "leaseToken">, outcome: AttemptOutcome, policy: DeliveryPolicy, random: () => number = Math.random): Promise<{ disabled: boolean }> {
  return db.transaction(async (tx) => {
    const [subscription] = await tx
      .select({ active: webhookSubscriptions.active, consecutiveFailures: webhookSubscriptions.consecutiveFailures })
      .from(webhookSubscriptions)
      .where(eq(webhookSubscriptions.id, delivery.subscriptionId))
      .for("update");
    if (!subscription) return { disabled: false };
    await tx.insert(webhookAttempts).values({ deliveryId: delivery.id, attempt: delivery.attempt, replay: delivery.replay, ...outcome });
    const last = { leaseToken: null, replayRequested: false, lastStatusCode: outcome.statusCode, lastError: outcome.error };
    const next = outcome.ok
      ? { ...last, status: "delivered" as const, deliveredAt: new Date() }
      : delivery.attempt >= policy.maxAttempts
        ? { ...last, status: "failed" as const }
        : { ...last, status: "pending" as const, nextAttemptAt: sql`now() + ${retryDelayMs(delivery.attempt, policy, random)} * interval '1 millisecond'` };
    await tx
      .update(webhookDeliveries)
      .set(next)
      .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.leaseToken, delivery.leaseToken)));
    if (outcome.ok) {
      if (subscription.consecutiveFailures) await tx.update(webhookSubscriptions).set({ consecutiveFailures: 0 }).where(eq(webhookSubscriptions.id, delivery.subscriptionId));
      return { disabled: false };
    }
    const failures = subscription.consecutiveFailures + 1;
    const disable = subscription.active && failures >= policy.disableAfterFailures;
    await tx
      .update(webhookSubscriptions)
      .set({
        consecutiveFailures: failures,
        ...(disable ? { active: false, disabledAt: new Date(), disabledReason: `Disabled after ${failures} failed attempts in a row; the last: ${outcome.error ?? "failed"}`, updatedAt: new Date() } : {}),
      })
      .where(eq(webhookSubscriptions.id, delivery.subscriptionId));
    return { disabled: disable };
  });
}
