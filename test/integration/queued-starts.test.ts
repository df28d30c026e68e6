import { and, asc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { events, history, instances, workflowHoldLog } from "@/db/schema";
import { clockActor } from "@/lib/actors";
import { AppError } from "@/lib/errors";
import { startInstance } from "@/lib/instances/start-instance";
import { dropExpiredQueuedStarts } from "@/lib/workflows/queued-starts";
import { defineWorkflow } from "@/lib/workflows/sdk";
import { registerDefinitions } from "@/lib/workflows/registry";
import { effectiveStartPolicy, setStartPolicy } from "@/lib/workflows/start-policy";
import { pauseWorkflow, resumeWorkflow } from "@/lib/workflows/workflow-pauses";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";

/*
 * What a paused workflow does with new starts: refuse (409) or queue (pending, started in order
 * when the pause ends, dropped past a time-to-live with the reason recorded).
 */

const t = await freshDatabase();
const operator = actor(await createUser(t.db, "operator"));
const steps = { only: { run: () => undefined } };
const queueing = defineWorkflow({ key: "q-queue", version: 1, name: "Queues", steps, timeoutMs: 3_600_000, whenPaused: { policy: "queue" } });
const refusing = defineWorkflow({ key: "q-refuse", version: 1, name: "Refuses", steps });
const catalog = [queueing, refusing];
await registerDefinitions(t.db, catalog);
const start = (workflow: string, input = {}) => startInstance(t.db, { workflow, input }, operator, { catalog });
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as AppError);
const row = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const actions = async (id: string) => (await t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(asc(history.seq))).map((h) => [h.action, h.actorLabel, h.fromStatus, h.toStatus]);

it("queues starts while paused and starts them in order when the pause ends, with the deadline moved by the wait", async () => {
  await pauseWorkflow(t.db, { workflow: "q-queue", reason: "Nightly backup" }, operator);
  const first = await start("q-queue");
  const second = await start("q-queue");
  expect(first).toMatchObject({ status: "pending", queuedAt: expect.any(Date) });
  expect(await actions(first.id)).toEqual([["queued", operator.label, null, "pending"]]);
  expect((await t.db.select().from(events).where(and(eq(events.instanceId, first.id), eq(events.type, "workflow.instance.queued")))).length).toBe(1);
  // A queued instance runs nothing: no step is queued for it.
  expect((await row(first.id)).currentSteps).toEqual([]);

  // Waiting a while in the queue: its stored times are moved back, as the clock would have.
  await t.db.update(instances).set({ queuedAt: new Date(Date.now() - 60_000), dueAt: new Date(first.dueAt!.getTime() - 60_000) }).where(eq(instances.id, first.id));
  await resumeWorkflow(t.db, { workflow: "q-queue", reason: "Backup done" }, operator);

  const [a, b] = [await row(first.id), await row(second.id)];
  expect(a.status).toBe("running");
  expect(b.status).toBe("running");
  expect(await actions(first.id)).toEqual([
    ["queued", operator.label, null, "pending"],
    ["started", operator.label, "pending", "running"],
  ]);
  // The deadline counts from the real start.
  expect(a.dueAt!.getTime()).toBeGreaterThanOrEqual(first.dueAt!.getTime());
  // In order: the first queued started first.
  const startedSeq = await t.db.select({ instanceId: history.instanceId, id: history.id }).from(history).where(eq(history.action, "started")).orderBy(asc(history.id));
  const order = startedSeq.map((r) => r.instanceId).filter((id) => id === first.id || id === second.id);
  expect(order).toEqual([first.id, second.id]);
});

it("refuses starts under the refuse policy (the default), writing nothing", async () => {
  await pauseWorkflow(t.db, { workflow: "q-refuse", reason: "Freeze" }, operator);
  const before = (await t.db.select().from(instances).where(eq(instances.workflowKey, "q-refuse"))).length;
  expect(await refusal(start("q-refuse"))).toMatchObject({ code: "conflict", message: expect.stringContaining("q-refuse is paused by") });
  expect((await t.db.select().from(instances).where(eq(instances.workflowKey, "q-refuse"))).length).toBe(before);
  await resumeWorkflow(t.db, { workflow: "q-refuse" }, operator);
});

it("an operator's policy overrides the code's, is logged, and a time-to-live drops a start still queued with the reason recorded", async () => {
  expect(await effectiveStartPolicy(t.db, "q-refuse", refusing.whenPaused)).toMatchObject({ policy: "refuse", source: "definition" });
  await setStartPolicy(t.db, { workflow: "q-refuse", policy: "queue", queueTtlSeconds: "600", reason: "Do not lose orders tonight" }, operator);
  expect(await effectiveStartPolicy(t.db, "q-refuse", refusing.whenPaused)).toMatchObject({ policy: "queue", queueTtlSeconds: 600, source: "operator", setByLabel: operator.label });
  const [logged] = await t.db.select().from(workflowHoldLog).where(and(eq(workflowHoldLog.workflowKey, "q-refuse"), eq(workflowHoldLog.action, "policy_changed")));
  expect(logged).toMatchObject({ actorLabel: operator.label, reason: "Starts while paused: queue (drop after 600 s). Do not lose orders tonight" });

  await pauseWorkflow(t.db, { workflow: "q-refuse", reason: "Freeze" }, operator);
  const expiring = await start("q-refuse");
  const fresh = await start("q-refuse");
  expect(expiring.queueExpiresAt!.getTime() - expiring.queuedAt!.getTime()).toBe(600_000);
  // Its time-to-live passes (moved, as the clock would).
  await t.db.update(instances).set({ queuedAt: new Date(Date.now() - 601_000), queueExpiresAt: new Date(Date.now() - 1_000) }).where(eq(instances.id, expiring.id));
  expect(await dropExpiredQueuedStarts(t.db)).toBe(1);
  expect(await row(expiring.id)).toMatchObject({ status: "cancelled" });
  const dropped = (await t.db.select().from(history).where(and(eq(history.instanceId, expiring.id), eq(history.action, "cancelled"))))[0]!;
  expect(dropped).toMatchObject({ actorLabel: clockActor.label, fromStatus: "pending", toStatus: "cancelled", reason: "Dropped from the queue: still waiting after its time-to-live of 600 s while q-refuse was paused" });
  expect(dropped.details).toMatchObject({ dropped: true, queueTtlSeconds: 600 });
  // A second sweep finds nothing; the one still in time is untouched, and starts when the pause ends.
  expect(await dropExpiredQueuedStarts(t.db)).toBe(0);
  await resumeWorkflow(t.db, { workflow: "q-refuse" }, operator);
  expect((await row(fresh.id)).status).toBe("running");
  expect((await row(expiring.id)).status).toBe("cancelled");
});

it("a start whose time-to-live passed is dropped, not started, when the pause ends before the sweep saw it", async () => {
  await setStartPolicy(t.db, { workflow: "q-queue", policy: "queue", queueTtlSeconds: 60 }, operator);
  await pauseWorkflow(t.db, { workflow: "q-queue", reason: "Again" }, operator);
  const late = await start("q-queue");
  await t.db.update(instances).set({ queuedAt: new Date(Date.now() - 61_000), queueExpiresAt: new Date(Date.now() - 1_000) }).where(eq(instances.id, late.id));
  expect(await resumeWorkflow(t.db, { workflow: "q-queue" }, operator)).toEqual({ started: 0, dropped: 1 });
  expect((await row(late.id)).status).toBe("cancelled");
});

it("refuses a bad policy with the field named and changes nothing", async () => {
  for (const [input, field] of [
    [{ workflow: "q-queue", policy: "drop" }, "policy"],
    [{ workflow: "q-queue", policy: "queue", queueTtlSeconds: "soon" }, "queueTtlSeconds"],
    [{ workflow: "q-queue", policy: "queue", queueTtlSeconds: 0 }, "queueTtlSeconds"],
    [{ workflow: "q-queue", policy: "refuse", queueTtlSeconds: 5 }, "queueTtlSeconds"],
  ] as const) {
    const error = await refusal(setStartPolicy(t.db, input, operator));
    expect(error, JSON.stringify(input)).toMatchObject({ code: "invalid", fields: { [field]: [expect.any(String)] } });
  }
  expect(await refusal(setStartPolicy(t.db, { workflow: "nope", policy: "queue" }, operator))).toMatchObject({ code: "not_found" });
  expect(await effectiveStartPolicy(t.db, "q-queue", queueing.whenPaused)).toMatchObject({ policy: "queue", queueTtlSeconds: 60 });
});
