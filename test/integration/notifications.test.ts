import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq, inArray, isNull } from "drizzle-orm";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createDb } from "@/db/client";
import { events, gates, maintenanceWindows, notificationAttempts, notificationChannels, notificationPreferences, notifications, webhookSubscriptions } from "@/db/schema";
import { NotificationLoop } from "@/engine/notification-loop";
import { approveGate, type DecisionResult } from "@/lib/gates/decide-gate";
import { delegateGate } from "@/lib/gates/delegate-gate";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { log } from "@/lib/log";
import { createChannel } from "@/lib/notifications/channels";
import { fanOutNotifications } from "@/lib/notifications/fan-out";
import { savePreferences } from "@/lib/notifications/preferences";
import { sweepGateNotices } from "@/lib/notifications/reminders";
import { createSubscription } from "@/lib/webhooks/subscriptions";
import { claimBulkOperation, runBulkOperation } from "@/lib/bulk-operations/run";
import { startBulkOperation } from "@/lib/bulk-operations/start";
import { createWindow } from "@/lib/maintenance/windows";
import { runWindows } from "@/lib/maintenance/run-windows";
import { freshDatabase } from "../support/db";
import { actor, createDefinition, createGatedInstance, createInstance, createUser } from "../support/factories";
import { startSmtpSink } from "../support/smtp-sink";
import { startReceiver, until } from "../support/webhook-receiver";
import { prepareEngineDatabase, spawnWorker } from "../support/worker";

// Issue 13 §4: the people who may decide a gate are told, by mail (a local SMTP server) and chat
// (a local HTTP receiver), as each chose; reminders repeat and stop; channels hear of pauses; sends
// are retried and logged. Loops run on the worker's role (t.url), as in production.
const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const smtp = await startSmtpSink();
const receiver = await startReceiver();
const app = createDb(t.url, { max: 10 });
const PUBLIC_URL = "https://flowgate.example.test";
const config = { publicUrl: PUBLIC_URL, mail: true };
const admin = await createUser(t.db, "admin");
const operator = await createUser(t.db, "operator");

const loops: NotificationLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
  // Each test's gates, events and channels stay in that test: the sweeps and fan-outs of the next see only their own.
  await t.db.delete(notificationChannels);
  await t.db.update(gates).set({ status: "withdrawn" }).where(eq(gates.status, "pending"));
  await t.db.update(events).set({ notifiedAt: new Date() }).where(isNull(events.notifiedAt));
});
afterAll(async () => {
  await Promise.all([smtp.close(), receiver.close()]);
  await app.sql.end({ timeout: 5 });
});

/** A running loop on the worker's role; quick polls and a short backoff so tests do not wait on schedules. */
function loop(): NotificationLoop {
  const l = new NotificationLoop({ db: app.db, log, smtpUrl: smtp.url, mailFrom: "Flowgate <flowgate@test.dev>", publicUrl: PUBLIC_URL, pollMs: 25, policy: { retryBaseMs: 10, retryMaxMs: 40 } });
  loops.push(l);
  l.start();
  return l;
}

const ofGate = (gateId: string) => t.db.select().from(notifications).where(eq(notifications.gateId, gateId));
/** Every outbox event so far has been through the notification fan-out, and nothing is waiting to be sent. */
const settled = async () =>
  (await t.db.select({ id: events.id }).from(events).where(isNull(events.notifiedAt))).length === 0 &&
  (await t.db.select({ id: notifications.id }).from(notifications).where(eq(notifications.status, "pending"))).length === 0;
const kindsTo = (rows: (typeof notifications.$inferSelect)[]) => rows.map((r) => `${r.kind} ${r.transport} ${r.target}`).sort();

describe("a gate that opens", () => {
  it("tells the people who may decide it, by mail with a deep link and by chat in Block Kit, as each chose; never whoever started it, nor a role that cannot decide", async () => {
    const alice = await createUser(t.db, "approver", { email: "alice.open@test.dev" });
    const bob = await createUser(t.db, "approver", { email: "bob.open@test.dev" });
    const carol = await createUser(t.db, "approver", { email: "carol.open@test.dev" });
    const dave = await createUser(t.db, "approver", { email: "dave.open@test.dev" });
    const erin = await createUser(t.db, "operator", { email: "erin.open@test.dev" });
    await savePreferences(t.db, { email: false, chat: true, chatWebhookUrl: receiver.url("/ok-bob"), kinds: ["gate_opened"] }, bob);
    await savePreferences(t.db, { email: true, chat: false, kinds: ["gate_reminder"] }, carol);
    // A real worker process, configured through the environment as under `npm start`.
    const worker = await spawnWorker(t.url, { FLOWGATE_SMTP_URL: smtp.url, FLOWGATE_PUBLIC_URL: PUBLIC_URL });
    try {
      const { instance, gate } = await createGatedInstance(
        t.db,
        { stage: "production", approvers: [alice.email, bob.email, carol.email, dave.email, erin.email], instructions: "Check <b>the</b> error budget" },
        actor(dave),
      );
      await until("alice's mail and bob's chat message arrived", () => smtp.to(alice.email).length === 1 && receiver.to("/ok-bob").length === 1);
      await until("every notification is settled", settled);

      const [mail] = smtp.to(alice.email);
      expect(mail!.subject).toBe(`Approval needed: "production" for ${instance.workflowKey}`);
      expect(mail!.body).toContain(`${PUBLIC_URL}/approvals#gate-${gate.id}`);
      expect(mail!.body).toContain(`${PUBLIC_URL}/instances/${instance.id}`);
      // The instructions reach the HTML part escaped, never as markup.
      expect(mail!.body).toContain("Check &lt;b&gt;the&lt;/b&gt; error budget");
      expect(mail!.body).not.toContain("Check <b>the</b> error budget</pre>");

      const chat = JSON.parse(receiver.to("/ok-bob")[0]!.body) as { text: string; blocks: { type: string; elements?: { url?: string }[]; text?: { text: string } }[] };
      expect(chat.text).toBe(mail!.subject);
      expect(chat.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "section", "actions"]);
      expect(chat.blocks.find((b) => b.type === "actions")!.elements!.map((e) => e.url)).toEqual([`${PUBLIC_URL}/approvals#gate-${gate.id}`, `${PUBLIC_URL}/instances/${instance.id}`]);
      expect(JSON.stringify(chat)).toContain("Check &lt;b&gt;the&lt;/b&gt; error budget");

      // Carol chose reminders only; dave started the instance; erin is an operator: none of them hears of it.
      expect(kindsTo(await ofGate(gate.id))).toEqual([`gate_opened chat ${receiver.url("/ok-bob")}`, `gate_opened email ${alice.email}`]);
      expect(smtp.mails.filter((m) => m.to.some((a) => [bob.email, carol.email, dave.email, erin.email].includes(a)))).toEqual([]);
      const attempts = await t.db.select().from(notificationAttempts).where(inArray(notificationAttempts.notificationId, (await ofGate(gate.id)).map((n) => n.id)));
      expect(attempts.map((a) => a.ok)).toEqual([true, true]);
      expect(attempts.map((a) => a.response).sort()).toEqual([expect.stringMatching(/^250 /), "HTTP 204"]);
    } finally {
      await worker.stop();
    }
  });

  it("a delegation tells the delegate, and an escalation the people it adds", async () => {
    const frank = await createUser(t.db, "approver", { email: "frank.del@test.dev" });
    const gina = await createUser(t.db, "approver", { email: "gina.del@test.dev" });
    const hank = await createUser(t.db, "approver", { email: "hank.del@test.dev" });
    // The worker fans out within a poll of each change; here, after each.
    const fanOut = async () => {
      while ((await fanOutNotifications(app.db, config)).events > 0);
    };
    const { gate } = await createGatedInstance(t.db, { stage: "canary", approvers: [gina.email], escalateTo: [frank.email] });
    await fanOut();
    await delegateGate(t.db, { gateId: gate.id, to: hank.email, reason: "on leave" }, gina);
    await fanOut();
    await t.db.update(gates).set({ escalateAt: new Date(Date.now() - 1000) }).where(eq(gates.id, gate.id));
    const { sweepGates } = await import("@/lib/gates/sweep-gates");
    expect((await sweepGates(t.db)).escalated).toBe(1);
    await fanOut();
    // Opened: gina, the named approver. Delegated: hank alone. Escalated: hank (gina passed her turn on) and frank, now added.
    expect(kindsTo(await ofGate(gate.id))).toEqual([`gate_opened email ${gina.email}`, `gate_delegated email ${hank.email}`, `gate_escalated email ${frank.email}`, `gate_escalated email ${hank.email}`].sort());
  });
});

describe("reminders", () => {
  it("repeat every notifyEveryMs to the people who may still decide, stop for someone who decided, and stop when the gate is decided", async () => {
    const ivy = await createUser(t.db, "approver", { email: "ivy.rem@test.dev" });
    const jack = await createUser(t.db, "approver", { email: "jack.rem@test.dev" });
    const { gate } = await createGatedInstance(t.db, { stage: "prod", approvals: 2, approvers: [ivy.email, jack.email], notifyEveryMs: 60_000 });
    const at = (ms: number) => new Date(gate.requestedAt.getTime() + ms);
    const reminders = async () => kindsTo((await ofGate(gate.id)).filter((n) => n.kind === "gate_reminder"));

    expect(await sweepGateNotices(app.db, config, at(59_000))).toEqual({ reminders: 0, warnings: 0 });
    expect(await sweepGateNotices(app.db, config, at(61_000))).toEqual({ reminders: 1, warnings: 0 });
    // The same instant again: the round went once.
    expect(await sweepGateNotices(app.db, config, at(61_000))).toEqual({ reminders: 0, warnings: 0 });
    expect(await reminders()).toEqual([`gate_reminder email ${ivy.email}`, `gate_reminder email ${jack.email}`]);

    const first: DecisionResult = await approveGate(t.db, { gateId: gate.id }, ivy);
    expect(first.outcome).toBe("recorded");
    expect(await sweepGateNotices(app.db, config, at(122_000))).toEqual({ reminders: 1, warnings: 0 });
    expect((await reminders()).filter((r) => r.endsWith(jack.email))).toHaveLength(2);
    expect((await reminders()).filter((r) => r.endsWith(ivy.email))).toHaveLength(1);

    await approveGate(t.db, { gateId: gate.id }, jack);
    expect(await sweepGateNotices(app.db, config, at(183_000))).toEqual({ reminders: 0, warnings: 0 });
    expect(await reminders()).toHaveLength(3);
  });

  it("a reminder queued just before its reader decides is not sent to them: skipped, saying why", async () => {
    const kate = await createUser(t.db, "approver", { email: "kate.skip@test.dev" });
    const liam = await createUser(t.db, "approver", { email: "liam.skip@test.dev" });
    const { gate } = await createGatedInstance(t.db, { stage: "prod", approvals: 2, approvers: [kate.email, liam.email], notifyEveryMs: 60_000 });
    // Opened-notices out of the way: this test is about the reminder.
    while ((await fanOutNotifications(app.db, config)).events > 0);
    await t.db.update(notifications).set({ status: "sent" }).where(eq(notifications.gateId, gate.id));
    await sweepGateNotices(app.db, config, new Date(gate.requestedAt.getTime() + 61_000));
    await approveGate(t.db, { gateId: gate.id }, kate);
    loop();
    await until("liam's reminder arrived", () => smtp.to(liam.email).some((m) => m.subject.startsWith("Reminder:")));
    await until("kate's reminder is settled", async () => (await ofGate(gate.id)).some((n) => n.kind === "gate_reminder" && n.userId === kate.id && n.status !== "pending"));
    const kates = (await ofGate(gate.id)).find((n) => n.kind === "gate_reminder" && n.userId === kate.id)!;
    expect(kates).toMatchObject({ status: "skipped", lastError: expect.stringContaining("may no longer decide") });
    expect(smtp.to(kate.email).filter((m) => m.subject.startsWith("Reminder:"))).toEqual([]);
  });

  it("do not fire while the instance is paused, and resume moves the next one on by the time paused", async () => {
    const mia = await createUser(t.db, "approver", { email: "mia.pause@test.dev" });
    const { instance, gate } = await createGatedInstance(t.db, { stage: "prod", approvers: [mia.email], notifyEveryMs: 60_000 });
    await pauseInstance(t.db, { instanceId: instance.id, reason: "freeze" }, actor(operator));
    const late = new Date(gate.requestedAt.getTime() + 10 * 60_000);
    expect(await sweepGateNotices(app.db, config, late)).toEqual({ reminders: 0, warnings: 0 });
    const before = (await t.db.select().from(gates).where(eq(gates.id, gate.id)))[0]!.nextReminderAt!;
    await new Promise((r) => setTimeout(r, 50));
    await resumeInstance(t.db, { instanceId: instance.id, reason: "freeze over" }, actor(operator));
    const after = (await t.db.select().from(gates).where(eq(gates.id, gate.id)))[0]!.nextReminderAt!;
    expect(after.getTime()).toBeGreaterThan(before.getTime());
  });

  it("a gate about to expire is announced once, within the last hour (or quarter of its life)", async () => {
    const noah = await createUser(t.db, "approver", { email: "noah.exp@test.dev" });
    const { instance, gate } = await createGatedInstance(t.db, { stage: "prod", approvers: [noah.email], expiresAfterMs: 4 * 3_600_000 });
    const before = new Date(gate.expiresAt!.getTime() - 61 * 60_000);
    const within = new Date(gate.expiresAt!.getTime() - 30 * 60_000);
    expect(await sweepGateNotices(app.db, config, before)).toEqual({ reminders: 0, warnings: 0 });
    expect(await sweepGateNotices(app.db, config, within)).toEqual({ reminders: 0, warnings: 1 });
    expect(await sweepGateNotices(app.db, config, within)).toEqual({ reminders: 0, warnings: 0 });
    const expiring = (await ofGate(gate.id)).filter((n) => n.kind === "gate_expiring");
    expect(kindsTo(expiring)).toEqual([`gate_expiring email ${noah.email}`]);
    expect(expiring[0]!.subject).toBe(`Expires ${gate.expiresAt!.toISOString()}: "prod" for ${instance.workflowKey}`);
  });
});

describe("channels and retries", () => {
  it("an operator's pause and resume are told to a channel that asked for them, with who and why", async () => {
    await createChannel(t.db, { name: "#ops", url: receiver.url("/ok-ops"), kinds: ["instance_paused", "instance_resumed"] }, admin);
    loop();
    const inst = await createInstance(t.db, { status: "running" });
    await pauseInstance(t.db, { instanceId: inst.id, reason: "DB failover" }, actor(operator));
    await resumeInstance(t.db, { instanceId: inst.id, reason: "failover done" }, actor(operator));
    await until("both reached the channel", () => receiver.to("/ok-ops").length === 2);
    const [paused, resumed] = receiver.to("/ok-ops").map((r) => JSON.parse(r.body) as { text: string; blocks: { text?: { text: string } }[] });
    expect(paused!.text).toBe(`Paused: ${inst.workflowKey} ${inst.id.slice(0, 8)} by ${operator.email}`);
    expect(paused!.blocks[0]!.text!.text).toContain("DB failover");
    expect(resumed!.text).toBe(`Resumed: ${inst.workflowKey} ${inst.id.slice(0, 8)} by ${operator.email}`);
    expect(resumed!.blocks[0]!.text!.text).toContain("failover done");
  });

  it("a bulk operation's pauses and resumes are told to a channel once each, linking to the operation, not once per instance", async () => {
    const channel = await createChannel(t.db, { name: "#ops-bulk", url: receiver.url("/ok-bulk"), kinds: ["instance_paused", "instance_resumed"] }, admin);
    loop();
    const def = await createDefinition(t.db);
    for (let i = 0; i < 3; i++) await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, status: "running" });
    const runAll = async (action: "pause" | "resume", body: Record<string, unknown>) => {
      const op = await startBulkOperation(t.db, action, { filter: { status: action === "pause" ? "running" : "paused", workflow: def.key }, ...body }, actor(operator));
      const claimed = await claimBulkOperation(t.db, "notify-test", 60_000);
      expect(claimed?.id).toBe(op.id);
      await runBulkOperation(t.db, claimed!, { workerId: "notify-test", leaseMs: 60_000, ratePerSecond: 1_000 });
      return op.id;
    };
    const paused = await runAll("pause", { reason: "Vendor outage" });
    const resumed = await runAll("resume", { reason: "Vendor back" });
    await until("every event told and sent", settled);
    const rows = await t.db.select().from(notifications).where(eq(notifications.channelId, channel.id));
    expect(rows.map((r) => r.kind).sort()).toEqual(["instance_paused", "instance_resumed"]);
    const bodies = receiver.to("/ok-bulk").map((r) => JSON.parse(r.body) as { text: string; blocks: { text?: { text: string }; elements?: { url: string }[] }[] });
    expect(bodies).toHaveLength(2);
    expect(bodies[0]!.text).toBe(`Pausing a bulk operation over 3 instances, by ${operator.email}`);
    expect(bodies[0]!.blocks[0]!.text!.text).toContain("Vendor outage");
    expect(bodies[0]!.blocks[1]!.elements![0]!.url).toBe(`${PUBLIC_URL}/bulk-operations/${paused}`);
    expect(bodies[1]!.blocks[1]!.elements![0]!.url).toBe(`${PUBLIC_URL}/bulk-operations/${resumed}`);
  });

  it("a maintenance window's pauses and resumes are told once per workflow, not once per instance", async () => {
    const channel = await createChannel(t.db, { name: "#ops-window", url: receiver.url("/ok-window"), kinds: ["instance_paused", "instance_resumed"] }, admin);
    loop();
    const def = await createDefinition(t.db);
    for (let i = 0; i < 3; i++) await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, status: "running" });
    const hour = 3_600_000;
    const w = await createWindow(t.db, { title: "DB upgrade", workflowKeys: [def.key], reason: "Postgres 17 upgrade", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() }, actor(operator));
    const ticks = async () => {
      for (let i = 0; i < 10; i++) {
        const done = await runWindows(t.db, { ratePerSecond: 1000 });
        if (!done.ended && !done.started && !done.paused && !done.resumed) return;
      }
    };
    // Started a minute ago (database clock), then its end comes.
    await t.db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000), nextEndAt: new Date(Date.now() + hour) }).where(eq(maintenanceWindows.id, w.id));
    await ticks();
    await t.db.update(maintenanceWindows).set({ nextEndAt: new Date(Date.now() - 1_000) }).where(eq(maintenanceWindows.id, w.id));
    await ticks();
    await until("every event told and sent", settled);
    const rows = await t.db.select().from(notifications).where(eq(notifications.channelId, channel.id));
    expect(rows.map((r) => r.kind).sort()).toEqual(["instance_paused", "instance_resumed"]);
    const texts = receiver.to("/ok-window").map((r) => (JSON.parse(r.body) as { text: string }).text);
    // The window is named by its title, which a person recognises, not by its id.
    expect(texts).toEqual([`Pausing the instances of ${def.key}, by maintenance window "DB upgrade"`, `Resuming the instances of ${def.key}, by maintenance window "DB upgrade"`]);
  });

  it("a failing chat endpoint and a mail server that refuses for a while are retried with backoff, every attempt logged, until they take it", async () => {
    let failuresLeft = 2;
    const bodies: string[] = [];
    const flaky = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        bodies.push(Buffer.concat(chunks).toString("utf8"));
        if (failuresLeft-- > 0) res.writeHead(500).end("not now");
        else res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/hook`;
      const olga = await createUser(t.db, "approver", { email: "olga.retry@test.dev" });
      await savePreferences(t.db, { email: true, chat: true, chatWebhookUrl: url, kinds: ["gate_opened"] }, olga);
      smtp.refuseNext(olga.email, 2);
      loop();
      const { gate } = await createGatedInstance(t.db, { stage: "retry", approvers: [olga.email] });
      await until("both went through", async () => (await ofGate(gate.id)).filter((n) => n.status === "sent").length === 2);
      for (const n of await ofGate(gate.id)) {
        const attempts = await t.db.select().from(notificationAttempts).where(eq(notificationAttempts.notificationId, n.id)).orderBy(notificationAttempts.id);
        expect(attempts.map((a) => [a.attempt, a.ok])).toEqual([[1, false], [2, false], [3, true]]);
        expect(attempts[0]!.error).toMatch(n.transport === "chat" ? /^HTTP 500$/ : /451/);
      }
      // Every attempt carried the same message.
      expect(new Set(bodies).size).toBe(1);
      expect(smtp.to(olga.email)).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it("preferences refuse chat without a URL and a URL that is not http(s), naming the field, and change nothing", async () => {
    const pat = await createUser(t.db, "approver", { email: "pat.prefs@test.dev" });
    await expect(savePreferences(t.db, { email: true, chat: true, chatWebhookUrl: "", kinds: [] }, pat)).rejects.toMatchObject({ code: "invalid", fields: { chatWebhookUrl: [expect.stringContaining("give the incoming webhook URL")] } });
    await expect(savePreferences(t.db, { email: true, chat: true, chatWebhookUrl: "javascript:alert(1)", kinds: [] }, pat)).rejects.toMatchObject({ code: "invalid", fields: { chatWebhookUrl: [expect.stringContaining("http")] } });
    await expect(savePreferences(t.db, { email: true, chat: false, kinds: ["everything"] }, pat)).rejects.toMatchObject({ code: "invalid" });
    expect(await t.db.select().from(notificationPreferences).where(and(eq(notificationPreferences.userId, pat.id)))).toEqual([]);
  });

  it("a URL into the private network is refused when saved (a person's chat URL, a channel, a webhook), naming the field", async () => {
    const quinn = await createUser(t.db, "approver", { email: "quinn.ssrf@test.dev" });
    const privateAddress = { code: "invalid", message: expect.stringContaining("is a private, loopback or link-local address") };
    await expect(savePreferences(t.db, { email: true, chat: true, chatWebhookUrl: "http://169.254.169.254/latest/meta-data", kinds: [] }, quinn)).rejects.toMatchObject({ ...privateAddress, fields: { chatWebhookUrl: [expect.any(String)] } });
    await expect(createChannel(t.db, { name: "#internal", url: "http://10.0.0.5:8080/hook", kinds: ["gate_opened"] }, admin)).rejects.toMatchObject({ ...privateAddress, fields: { url: [expect.any(String)] } });
    await expect(createSubscription(t.db, { url: "http://[fd00::1]/hook" }, admin)).rejects.toMatchObject({ ...privateAddress, fields: { url: [expect.any(String)] } });
    expect(await t.db.select().from(notificationChannels)).toEqual([]);
    expect(await t.db.select().from(webhookSubscriptions)).toEqual([]);
  });
});
