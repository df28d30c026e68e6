import type { Logger } from "pino";
import type { Db } from "@/db/client";
import { claimDeliveries, defaultDeliveryPolicy, recordAttempt, sendDelivery, type ClaimedDelivery, type DeliveryPolicy } from "@/lib/webhooks/delivery";
import { fanOutEvents } from "@/lib/webhooks/fan-out";

export type WebhookLoopOptions = {
  db: Db;
  log: Logger;
  /** How often to look for new events and due deliveries, in milliseconds. */
  pollMs?: number;
  /** Sends in flight in this process, across subscriptions. */
  maxInFlight?: number;
  /** Sends in flight in this process per subscription: a slow endpoint holds at most these. */
  perSubscription?: number;
  /** Retry schedule, timeout and disable rule (tests shorten the backoff; defaultDeliveryPolicy otherwise). */
  policy?: Partial<DeliveryPolicy>;
};

/**
 * Delivers webhooks beside the engine, in the worker process, on its own timer: nothing a command
 * or a step does waits for it. Each tick fans new outbox events out into deliveries, then claims
 * as many due deliveries as it has room for (per subscription and in all) and sends each without
 * waiting for the others, so a receiver that hangs holds only its own subscription's slots, for
 * at most the policy's timeout. Several loops (workers) may run against one database: claims are
 * exclusive (lib/webhooks/delivery.ts), and a claim's lease outlives its send's timeout.
 */
export class WebhookLoop {
  private readonly policy: DeliveryPolicy;
  private readonly pollMs: number;
  private readonly maxInFlight: number;
  private readonly perSubscription: number;
  private readonly inFlight = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private readonly stopSignal = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** The round running now, if any: rounds never overlap, so one process never claims past its room. */
  private round: Promise<void> | undefined;

  constructor(private readonly options: WebhookLoopOptions) {
    this.policy = { ...defaultDeliveryPolicy, ...options.policy };
    this.pollMs = options.pollMs ?? 1_000;
    this.maxInFlight = options.maxInFlight ?? 32;
    this.perSubscription = options.perSubscription ?? 4;
  }

  /** Starts polling; the first tick runs at once. */
  start(): void {
    const loop = () => {
      if (this.stopSignal.signal.aborted) return;
      void this.tick().finally(() => {
        if (!this.stopSignal.signal.aborted) this.timer = setTimeout(loop, this.pollMs);
      });
    };
    loop();
  }

  /**
   * Stops polling and aborts the sends in flight (each is logged as a failed attempt, and its
   * delivery retried by whichever loop comes next), then waits for their records.
   */
  async stop(): Promise<void> {
    this.stopSignal.abort();
    clearTimeout(this.timer);
    await this.round;
    await Promise.allSettled([...this.sends]);
  }

  /**
   * One round: fan out, claim, start the sends. Resolves once they are started, not finished;
   * joins the round already running if there is one; never throws.
   */
  tick(): Promise<void> {
    this.round ??= this.fanOutAndClaim().finally(() => (this.round = undefined));
    return this.round;
  }

  private async fanOutAndClaim(): Promise<void> {
    const { db, log } = this.options;
    try {
      for (;;) {
        const { events, deliveries } = await fanOutEvents(db);
        if (deliveries) log.debug({ events, deliveries }, "webhook deliveries queued");
        if (events < 500) break;
      }
      const room = this.maxInFlight - this.sends.size;
      if (room <= 0 || this.stopSignal.signal.aborted) return;
      const claimed = await claimDeliveries(db, {
        limit: room,
        perSubscription: this.perSubscription,
        slots: (id) => this.perSubscription - (this.inFlight.get(id) ?? 0),
        leaseMs: this.policy.timeoutMs + 15_000,
      });
      for (const delivery of claimed) this.launch(delivery);
    } catch (error) {
      if (!this.stopSignal.signal.aborted) log.error({ err: error }, "webhook round failed");
    }
  }

  private launch(delivery: ClaimedDelivery): void {
    const { db, log } = this.options;
    this.inFlight.set(delivery.subscriptionId, (this.inFlight.get(delivery.subscriptionId) ?? 0) + 1);
    const attempt = async () => {
      try {
        const outcome = await sendDelivery(delivery, { timeoutMs: this.policy.timeoutMs, signal: this.stopSignal.signal });
        const { disabled } = await recordAttempt(db, delivery, outcome, this.policy);
        const fields = { deliveryId: delivery.id, webhookId: delivery.webhookId, subscriptionId: delivery.subscriptionId, attempt: delivery.attempt, status: outcome.statusCode, ms: outcome.latencyMs };
        if (outcome.ok) log.info(fields, "webhook delivered");
        else log.warn({ ...fields, error: outcome.error }, "webhook attempt failed");
        if (disabled) log.warn({ subscriptionId: delivery.subscriptionId }, "webhook disabled after a run of failures");
      } catch (error) {
        // The attempt's record did not commit: the claim's lease runs out and the delivery is tried again.
        log.error({ err: error, deliveryId: delivery.id }, "webhook attempt not recorded");
      }
    };
    const send: Promise<void> = attempt().finally(() => {
      const left = (this.inFlight.get(delivery.subscriptionId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(delivery.subscriptionId, left);
      else this.inFlight.delete(delivery.subscriptionId);
      this.sends.delete(send);
      // Room again: look for more now rather than at the next poll.
      if (!this.stopSignal.signal.aborted) void this.tick();
    });
    this.sends.add(send);
  }
}
