import nodemailer from "nodemailer";
import type { Logger } from "pino";
import type { Db } from "@/db/client";
import {
  claimNotifications,
  defaultNotificationPolicy,
  recordNotificationAttempt,
  sendNotification,
  skipNotification,
  staleReason,
  type ClaimedNotification,
  type MailSender,
  type NotificationPolicy,
} from "@/lib/notifications/delivery";
import { DEFAULT_RETENTION_MS, pruneDeliveryLogs } from "@/lib/delivery-retention";
import { fanOutNotifications } from "@/lib/notifications/fan-out";
import { sweepGateNotices } from "@/lib/notifications/reminders";

export type NotificationLoopOptions = {
  db: Db;
  log: Logger;
  /** `smtp://` or `smtps://` URL of the mail server (FLOWGATE_SMTP_URL); null: no mail is queued or sent. */
  smtpUrl: string | null;
  /** The From of every mail (FLOWGATE_MAIL_FROM). */
  mailFrom: string;
  /** The dashboard's base URL, for the links in messages (FLOWGATE_PUBLIC_URL). */
  publicUrl: string;
  /** How often to look for new events, due reminders and due sends, in milliseconds. */
  pollMs?: number;
  /** Sends in flight in this process. */
  maxInFlight?: number;
  policy?: Partial<NotificationPolicy>;
  /** Finished webhook deliveries and notifications older than this are pruned, hourly (FLOWGATE_DELIVERY_RETENTION_DAYS). */
  retentionMs?: number;
};

/** How often the delivery logs are pruned. */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Notifies people and channels beside the engine, in the worker process, on its own timer, like
 * the webhook loop: a command only writes its outbox event, so a slow mail server or chat endpoint
 * delays nothing but its own sends. Each round fans new events out into notifications, queues the
 * due reminders and expiry notices, then claims due notifications and sends each on its own.
 */
export class NotificationLoop {
  private readonly policy: NotificationPolicy;
  private readonly sendMail: MailSender | null;
  private readonly sends = new Set<Promise<void>>();
  private readonly stopSignal = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private prunedAt = 0;

  constructor(private readonly options: NotificationLoopOptions) {
    this.policy = { ...defaultNotificationPolicy, ...options.policy };
    const timeout = this.policy.timeoutMs;
    const transport = options.smtpUrl ? nodemailer.createTransport({ url: options.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout }) : null;
    this.sendMail = transport ? async (mail) => ({ response: (await transport.sendMail({ from: options.mailFrom, ...mail })).response }) : null;
  }

  private get config() {
    return { publicUrl: this.options.publicUrl, mail: this.sendMail !== null };
  }

  /** Starts polling; the first round runs at once. */
  start(): void {
    const loop = () => {
      if (this.stopSignal.signal.aborted) return;
      void this.tick().finally(() => {
        if (!this.stopSignal.signal.aborted) this.timer = setTimeout(loop, this.options.pollMs ?? 1_000);
      });
    };
    loop();
  }

  /** Stops polling, aborts chat sends in flight (each logged as a failed attempt and retried later), and waits for their records. */
  async stop(): Promise<void> {
    this.stopSignal.abort();
    clearTimeout(this.timer);
    await this.round;
    await Promise.allSettled([...this.sends]);
  }

  /** One round; joins the round already running if there is one; never throws. */
  tick(): Promise<void> {
    this.round ??= this.work().finally(() => (this.round = undefined));
    return this.round;
  }

  private async work(): Promise<void> {
    const { db, log } = this.options;
    try {
      for (;;) {
        const { events, notifications } = await fanOutNotifications(db, this.config);
        if (notifications) log.debug({ events, notifications }, "notifications queued");
        if (events < 200) break;
      }
      if (Date.now() - this.prunedAt >= PRUNE_EVERY_MS) {
        this.prunedAt = Date.now();
        const pruned = await pruneDeliveryLogs(db, { retentionMs: this.options.retentionMs ?? DEFAULT_RETENTION_MS });
        if (pruned.webhookDeliveries || pruned.notifications) log.info(pruned, "old deliveries pruned");
      }
      const swept = await sweepGateNotices(db, this.config);
      if (swept.reminders || swept.warnings) log.info(swept, "gate reminders and expiry notices queued");
      const room = (this.options.maxInFlight ?? 16) - this.sends.size;
      if (room <= 0 || this.stopSignal.signal.aborted) return;
      for (const n of await claimNotifications(db, { limit: room, leaseMs: this.policy.timeoutMs + 15_000 })) this.launch(n);
    } catch (error) {
      if (!this.stopSignal.signal.aborted) log.error({ err: error }, "notification round failed");
    }
  }

  private launch(n: ClaimedNotification): void {
    const { db, log } = this.options;
    const fields = { notificationId: n.id, kind: n.kind, transport: n.transport, attempt: n.attempts };
    const attempt = async () => {
      try {
        const stale = await staleReason(db, n);
        if (stale) {
          await skipNotification(db, n, stale);
          log.info({ ...fields, reason: stale }, "notification skipped");
          return;
        }
        const outcome = await sendNotification(n, { sendMail: this.sendMail, timeoutMs: this.policy.timeoutMs, signal: this.stopSignal.signal });
        const status = await recordNotificationAttempt(db, n, outcome, this.policy);
        if (outcome.ok) log.info({ ...fields, ms: outcome.latencyMs }, "notification sent");
        else log.warn({ ...fields, error: outcome.error, status }, "notification attempt failed");
      } catch (error) {
        // Not recorded: the lease runs out and the notification is tried again.
        log.error({ err: error, ...fields }, "notification attempt not recorded");
      }
    };
    const send: Promise<void> = attempt().finally(() => {
      this.sends.delete(send);
      if (!this.stopSignal.signal.aborted) void this.tick();
    });
    this.sends.add(send);
  }
}
