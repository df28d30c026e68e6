import "server-only";
import { and, eq, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { notificationAttempts, notifications, type Notification } from "@/db/schema";
import { outboundFetch, outboundRefusal } from "@/lib/outbound";
import { clipText, storableText } from "@/lib/text";
import { excerpt, retryDelayMs } from "@/lib/webhooks/delivery";
import { decidersOf, readGateFacts } from "./queue";

/*
 * Sending notifications, like webhook deliveries: claim the due ones (a lease, so a worker that
 * dies mid-send leaves them due again), check they are still worth sending, send by mail (SMTP,
 * nodemailer) or chat (a POST to a Slack-compatible incoming webhook), record the attempt and
 * what follows (sent, retry with backoff and jitter, give up). The loop is engine/notification-loop.ts.
 */

/** Retries and timeouts of notifications, in milliseconds. */
export type NotificationPolicy = { timeoutMs: number; retryBaseMs: number; retryMaxMs: number; maxAttempts: number };

/** 15 s per send; retries after about 30 s, 1, 2, 4, 8, 16, 32 min, then hourly, 8 attempts in all (about 2 h). */
export const defaultNotificationPolicy: NotificationPolicy = { timeoutMs: 15_000, retryBaseMs: 30_000, retryMaxMs: 3_600_000, maxAttempts: 8 };

/** A claimed notification; `leaseToken` proves the claim when recording. */
export type ClaimedNotification = Pick<Notification, "id" | "kind" | "transport" | "userId" | "channelId" | "target" | "gateId" | "subject" | "message" | "attempts"> & { leaseToken: string };

/**
 * Claims up to `limit` due notifications, oldest due first, with `FOR UPDATE SKIP LOCKED`
 * re-checked under the lock (still pending and due); counts the attempt and moves
 * `next_attempt_at` to the lease's end (`leaseMs` from now). Two workers never hold one.
 */
export async function claimNotifications(db: Db, options: { limit: number; leaseMs: number }): Promise<ClaimedNotification[]> {
  if (options.limit <= 0) return [];
  const locked = db
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(eq(notifications.status, "pending"), lte(notifications.nextAttemptAt, sql`now()`)))
    .orderBy(notifications.nextAttemptAt, notifications.id)
    .limit(options.limit)
    .for("update", { skipLocked: true });
  const rows = await db
    .update(notifications)
    .set({ leaseToken: sql`gen_random_uuid()`, attempts: sql`${notifications.attempts} + 1`, nextAttemptAt: sql`now() + ${options.leaseMs} * interval '1 millisecond'` })
    .where(inArray(notifications.id, locked))
    .returning();
  return rows.flatMap((r) => (r.leaseToken ? [{ id: r.id, kind: r.kind, transport: r.transport, userId: r.userId, channelId: r.channelId, target: r.target, gateId: r.gateId, subject: r.subject, message: r.message, attempts: r.attempts, leaseToken: r.leaseToken }] : []));
}

/**
 * Why a claimed notification should no longer go out, or null: a gate notice is sent only while
 * the gate is pending, and to a person only while they may still decide it (they have not decided
 * or passed their turn on), so a reminder queued a moment before someone approved is not sent to them.
 */
export async function staleReason(db: Db, n: Pick<ClaimedNotification, "gateId" | "userId">): Promise<string | null> {
  if (!n.gateId) return null;
  const facts = await readGateFacts(db, n.gateId);
  if (!facts || facts.gate.status !== "pending") return `The gate is ${facts?.gate.status ?? "gone"}`;
  if (n.userId && !(await decidersOf(db, facts)).some((p) => p.id === n.userId)) return "The person may no longer decide the gate (decided, delegated, or no longer eligible)";
  return null;
}

/** What one attempt came to. */
export type NotificationOutcome = { ok: boolean; response: string | null; error: string | null; latencyMs: number; startedAt: Date };

/** Sends one mail; resolves with the server's reply (e.g. "250 OK"). The loop builds it from nodemailer. */
export type MailSender = (mail: { to: string; subject: string; text: string; html: string }) => Promise<{ response: string }>;

/**
 * Sends a claimed notification by its transport: mail through `sendMail`, chat as a JSON POST of
 * the Block Kit message to the target URL (no redirects followed; a 2xx is success). Never throws:
 * a timeout (`timeoutMs`), a refusal, a non-2xx, or no mail sender is a failed outcome with its reason.
 */
export async function sendNotification(n: Pick<ClaimedNotification, "transport" | "target" | "subject" | "message">, deps: { sendMail: MailSender | null; timeoutMs: number; signal?: AbortSignal }): Promise<NotificationOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  const done = (ok: boolean, response: string | null, error: string | null): NotificationOutcome => ({ ok, response: response === null ? null : clipText(storableText(response), 1024), error: error === null ? null : clipText(storableText(error), 500), latencyMs: Math.round(performance.now() - t0), startedAt });
  try {
    if (n.transport === "email") {
      if (!deps.sendMail) return done(false, null, "Mail is not configured (FLOWGATE_SMTP_URL)");
      const sent = deps.sendMail({ to: n.target, subject: n.subject, text: n.message.text, html: n.message.html });
      const info = await withTimeout(sent, deps.timeoutMs);
      return done(true, info.response, null);
    }
    // The SSRF guard at every send (lib/outbound.ts): a name may resolve elsewhere since it was saved.
    const refused = await outboundRefusal(n.target);
    if (refused) return done(false, null, refused);
    const timeout = AbortSignal.timeout(deps.timeoutMs);
    const response = await outboundFetch(n.target, {
      method: "POST",
      redirect: "manual",
      signal: deps.signal ? AbortSignal.any([timeout, deps.signal]) : timeout,
      headers: { "content-type": "application/json", "user-agent": "Flowgate-Notifications/1" },
      body: JSON.stringify(n.message.chat),
    });
    const body = await excerpt(response);
    const ok = response.status >= 200 && response.status < 300;
    return done(ok, `HTTP ${response.status}${body ? ` ${body}` : ""}`, ok ? null : `HTTP ${response.status}`);
  } catch (error) {
    return done(false, null, error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}` : String(error));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`No answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Records an attempt and what follows, in one transaction, while this claim still holds the row
 * (`leaseToken`; a late result of a lost lease changes nothing): the attempt row; then `sent`, or a
 * retry after retryDelayMs, or `failed` after `maxAttempts`. Returns the new status, or null when
 * the lease was lost.
 */
export async function recordNotificationAttempt(db: Db, n: Pick<ClaimedNotification, "id" | "attempts" | "leaseToken">, outcome: NotificationOutcome, policy: NotificationPolicy): Promise<Notification["status"] | null> {
  return db.transaction(async (tx) => {
    const status = outcome.ok ? "sent" : n.attempts >= policy.maxAttempts ? "failed" : "pending";
    const [row] = await tx
      .update(notifications)
      .set({
        status,
        leaseToken: null,
        lastError: outcome.error,
        ...(outcome.ok ? { sentAt: sql`now()` } : {}),
        ...(status === "pending" ? { nextAttemptAt: sql`now() + ${retryDelayMs(n.attempts, policy)} * interval '1 millisecond'` } : {}),
      })
      .where(and(eq(notifications.id, n.id), eq(notifications.leaseToken, n.leaseToken)))
      .returning({ status: notifications.status });
    if (!row) return null;
    await tx.insert(notificationAttempts).values({ notificationId: n.id, attempt: n.attempts, ok: outcome.ok, response: outcome.response, error: outcome.error, latencyMs: outcome.latencyMs, startedAt: outcome.startedAt });
    return row.status;
  });
}

/** Marks a claimed notification skipped, with why (staleReason), while the claim still holds it. */
export async function skipNotification(db: Db, n: Pick<ClaimedNotification, "id" | "leaseToken">, reason: string): Promise<void> {
  await db.update(notifications).set({ status: "skipped", leaseToken: null, lastError: reason }).where(and(eq(notifications.id, n.id), eq(notifications.leaseToken, n.leaseToken)));
}
