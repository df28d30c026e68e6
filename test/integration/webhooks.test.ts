import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createDb } from "@/db/client";
import { webhookAttempts, webhookDeliveries, webhookSubscriptions } from "@/db/schema";
import { WebhookLoop, type WebhookLoopOptions } from "@/engine/webhook-loop";
import { AppError } from "@/lib/errors";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { log } from "@/lib/log";
import { claimDeliveries, defaultDeliveryPolicy, recordAttempt } from "@/lib/webhooks/delivery";
import { fanOutEvents } from "@/lib/webhooks/fan-out";
import { listDeliveries, replayDelivery } from "@/lib/webhooks/deliveries";
import { createSubscription, rotateSecret } from "@/lib/webhooks/subscriptions";
import { freshDatabase } from "../support/db";
import { actor, createInstance, createUser } from "../support/factories";
import { startReceiver, until } from "../support/webhook-receiver";

// Issue 13 §3: deliveries from the outbox, signed, retried, disabled, replayed, never blocking,
// exactly one sender at a time. The worker's role (t.url) runs the loops, as in production.
const t = await freshDatabase();
const admin = await createUser(t.db, "admin");
const operator = actor(await createUser(t.db, "operator"));
const receiver = await startReceiver();
const app = createDb(t.url, { max: 10 });
const loops: WebhookLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
  // Each test's subscriptions go, so the next test's loops see only their own.
  await t.db.delete(webhookSubscriptions);
});
afterAll(async () => {
  await receiver.close();
  await app.sql.end({ timeout: 5 });
});

/** A running loop on the worker's role; quick polls and a short backoff so tests do not wait on schedules. */
function loop(options: Partial<WebhookLoopOptions> = {}, db = app.db): WebhookLoop {
  const l = new WebhookLoop({ db, log, pollMs: 25, ...options, policy: { retryBaseMs: 10, retryMaxMs: 40, ...options.policy } });
  loops.push(l);
  l.start();
  return l;
}

const subscribe = (path: string, eventTypes: string[] = ["workflow.instance.paused"]) => createSubscription(t.db, { url: receiver.url(path), eventTypes }, admin);
const pauseOne = async () => pauseInstance(t.db, { instanceId: (await createInstance(t.db)).id, reason: "webhook test" }, operator);
const deliveriesOf = (subscriptionId: string) => t.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, subscriptionId));
const subscriptionRow = async (id: string) => (await t.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id)))[0]!;

describe("secret rotation", () => {
  it("after a rotation deliveries carry both signatures until the overlap ends, so the old and the new secret both verify; then only the new one", async () => {
    const { view, secret: oldSecret } = await subscribe("/ok-rotate");
    const { secret: newSecret } = await rotateSecret(t.db, { subscriptionId: view.id, overlap: "24h" }, admin);
    expect(newSecret).not.toBe(oldSecret);
    loop();
    await pauseOne();
    await until("the first delivery arrived", () => receiver.to("/ok-rotate").length === 1);
    const [during] = receiver.to("/ok-rotate");
    expect(during!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(during!.body, during!.headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(during!.body, during!.headers)).not.toThrow();

    // The overlap is over: the old secret no longer signs.
    await t.db.update(webhookSubscriptions).set({ previousSecretExpiresAt: new Date(Date.now() - 1000) }).where(eq(webhookSubscriptions.id, view.id));
    await pauseOne();
    await until("the second delivery arrived", () => receiver.to("/ok-rotate").length === 2);
    const after = receiver.to("/ok-rotate")[1]!;
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(() => new Webhook(newSecret).verify(after.body, after.headers)).not.toThrow();
    expect(() => new Webhook(oldSecret).verify(after.body, after.headers)).toThrow();
    await expect(rotateSecret(t.db, { subscriptionId: view.id, overlap: "forever" }, admin)).rejects.toMatchObject({ code: "invalid" });
  });
});

describe("webhook delivery", () => {
  it("sends each matching event once, signed per Standard Webhooks: Webhook.verify accepts it and refuses a tampered body", async () => {
    const { view, secret } = await subscribe("/ok-signed");
    loop();
    const paused = await pauseOne();
    await until("the pause reached the receiver", () => receiver.to("/ok-signed").length === 1);
    const [request] = receiver.to("/ok-signed");
    const verified = new Webhook(secret).verify(request!.body, request!.headers) as { type: string; data: { instanceId: string; payload: { status: string } } };
    expect(verified.type).toBe("workflow.instance.paused");
    expect(verified.data).toMatchObject({ instanceId: paused.id, payload: { status: "paused" } });
    expect(request!.headers["webhook-id"]).toMatch(/^evt_\d+$/);
    expect(() => new Webhook(secret).verify(request!.body.replace("paused", "resumed"), request!.headers)).toThrow();
    // The instance's start event was not asked for, so only the pause was delivered.
    await until("the delivery is recorded", async () => (await deliveriesOf(view.id)).every((d) => d.status === "delivered"));
    expect(await deliveriesOf(view.id)).toHaveLength(1);
  });

  it("retries a 500-ing receiver with the same webhook-id, logs every attempt, and disables the subscription after the failure run, saying why", async () => {
    const { view } = await subscribe("/fail-run");
    loop({ policy: { disableAfterFailures: 3, maxAttempts: 10 } });
    await pauseOne();
    await until("the subscription is disabled", async () => !(await subscriptionRow(view.id)).active);
    const row = await subscriptionRow(view.id);
    expect(row.disabledReason).toMatch(/^Disabled after 3 failed attempts in a row; the last: HTTP 500$/);
    const [delivery] = await deliveriesOf(view.id);
    expect(delivery).toMatchObject({ status: "pending", attempts: 3, lastStatusCode: 500 });
    const attempts = await t.db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, delivery!.id)).orderBy(webhookAttempts.id);
    expect(attempts.map((a) => [a.attempt, a.ok, a.statusCode, a.error])).toEqual([1, 2, 3].map((n) => [n, false, 500, "HTTP 500"]));
    // The excerpt is the body's first kilobyte, no more.
    expect(attempts[0]!.responseExcerpt).toMatch(/^receiver broke x+$/);
    expect(Buffer.byteLength(attempts[0]!.responseExcerpt!)).toBe(1024);
    const ids = receiver.to("/fail-run").map((r) => r.headers["webhook-id"]);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
    // Disabled: nothing more is sent, and a replay is refused until an admin enables it again.
    await expect(replayDelivery(t.db, { deliveryId: delivery!.id }, admin)).rejects.toMatchObject({ code: "conflict" });
  });

  it("replays a delivered delivery with the same webhook-id and body, logged as a replay", async () => {
    const { view, secret } = await subscribe("/ok-replay");
    loop();
    await pauseOne();
    await until("delivered", async () => (await deliveriesOf(view.id))[0]?.status === "delivered");
    const [delivery] = await deliveriesOf(view.id);
    await replayDelivery(t.db, { deliveryId: delivery!.id }, admin);
    await until("the replay arrived", () => receiver.to("/ok-replay").length === 2);
    const [first, again] = receiver.to("/ok-replay");
    expect(again!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(again!.body).toBe(first!.body);
    expect(() => new Webhook(secret).verify(again!.body, again!.headers)).not.toThrow();
    await until("the replay is logged", async () => (await listDeliveries(t.db, view.id))[0]!.attemptLog.length === 2);
    const [logged] = await listDeliveries(t.db, view.id);
    expect(logged!.attemptLog.map((a) => [a.attempt, a.replay, a.ok])).toEqual([
      [1, false, true],
      [2, true, true],
    ]);
    expect(logged).toMatchObject({ status: "delivered", webhookId: first!.headers["webhook-id"] });
  });

  it("a receiver that never answers delays neither a pause nor another subscription's deliveries", async () => {
    const dead = await subscribe("/hang-dead");
    const live = await subscribe("/ok-live");
    loop({ policy: { timeoutMs: 120_000 } });
    await pauseOne();
    await until("the dead endpoint holds a request open", () => receiver.open() >= 1);
    await until("the live endpoint got the first pause", () => receiver.to("/ok-live").length === 1);
    // With the dead endpoint's send still open, a pause commits and the live endpoint gets it too.
    const second = await pauseOne();
    expect(second.status).toBe("paused");
    await until("the live endpoint got the second pause", () => receiver.to("/ok-live").length === 2);
    expect(receiver.open()).toBeGreaterThanOrEqual(1);
    const deadDeliveries = await deliveriesOf(dead.view.id);
    expect(deadDeliveries.every((d) => d.status === "pending")).toBe(true);
    expect(await t.db.select().from(webhookAttempts).where(eq(webhookAttempts.deliveryId, deadDeliveries[0]!.id))).toEqual([]);
    expect((await deliveriesOf(live.view.id)).length).toBe(2);
  });

  it("two delivery loops in parallel deliver each event once per subscription", async () => {
    const a = await subscribe("/ok-a");
    const b = await subscribe("/ok-b");
    const other = createDb(t.url, { max: 10 });
    try {
      loop({}, app.db);
      loop({}, other.db);
      const paused = await Promise.all(Array.from({ length: 12 }, () => pauseOne()));
      const all = async () => [...(await deliveriesOf(a.view.id)), ...(await deliveriesOf(b.view.id))];
      await until("every delivery is delivered", async () => {
        const rows = await all();
        return rows.length === 24 && rows.every((d) => d.status === "delivered");
      });
      for (const path of ["/ok-a", "/ok-b"]) {
        const ids = receiver.to(path).map((r) => r.headers["webhook-id"]);
        expect(ids).toHaveLength(paused.length);
        expect(new Set(ids).size).toBe(paused.length);
      }
      const attempts = await t.db.select({ deliveryId: webhookAttempts.deliveryId }).from(webhookAttempts);
      const mine = new Set((await all()).map((d) => d.id));
      expect(attempts.filter((x) => mine.has(x.deliveryId))).toHaveLength(24);
    } finally {
      await Promise.all(loops.splice(0).map((l) => l.stop()));
      await other.sql.end({ timeout: 5 });
    }
  });

  it("a worker that dies mid-send leaves the delivery to be retried once its lease runs out, and its late result changes nothing", async () => {
    const { view } = await subscribe("/ok-crash");
    await pauseOne();
    // Fan out and claim as a worker would, with a short lease, then "crash": never send.
    await fanOutEvents(app.db);
    const [stale] = await claimDeliveries(app.db, { limit: 10, perSubscription: 4, slots: () => 4, leaseMs: 200 });
    expect(stale).toBeDefined();
    loop();
    await until("another loop delivered it after the lease", async () => (await deliveriesOf(view.id))[0]?.status === "delivered");
    expect(receiver.to("/ok-crash")).toHaveLength(1);
    await recordAttempt(app.db, stale!, { ok: false, statusCode: null, latencyMs: 1, responseExcerpt: null, error: "late", startedAt: new Date() }, defaultDeliveryPolicy);
    expect((await deliveriesOf(view.id))[0]).toMatchObject({ status: "delivered" });
  });

  it("refuses a subscription without an http(s) URL or with an unknown event type, naming the field", async () => {
    const error = await createSubscription(t.db, { url: "ftp://example.com/x", eventTypes: ["workflow.instance.exploded"] }, admin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(Object.keys((error as AppError).fields ?? {}).sort()).toEqual(["eventTypes.0", "url"]);
  });
});
