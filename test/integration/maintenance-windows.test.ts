import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { history, instances, maintenanceWindowLog, maintenanceWindows, stepRuns, workflowHoldLog, workflowHolds } from "@/db/schema";
import { windowActor } from "@/lib/actors";
import { AppError } from "@/lib/errors";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { registerResumeCondition } from "@/lib/instances/resume-conditions";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { cancelWindow, createWindow, editWindow, endWindowEarly } from "@/lib/maintenance/windows";
import { resumeAfterWindows, runWindows } from "@/lib/maintenance/run-windows";
import { pauseWorkflow, resumeWorkflow } from "@/lib/workflows/workflow-pauses";
import { freshDatabase } from "../support/db";
import { actor, createDefinition, createInstance, createUser } from "../support/factories";

/*
 * Maintenance windows, driven tick by tick (runWindows is what the worker's chores call). Time is
 * controlled the way scheduled-resume.test.ts does it: a window is created in the future (the
 * API accepts nothing else) and its times are then moved relative to the database clock, as the
 * clock would have moved them. No sleeps, no timing thresholds.
 */

const t = await freshDatabase();
const operator = actor(await createUser(t.db, "operator"));
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as AppError);
const row = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const windowRow = async (id: string) => (await t.db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, id)))[0]!;
const windowLog = async (id: string) => (await t.db.select().from(maintenanceWindowLog).where(eq(maintenanceWindowLog.windowId, id)).orderBy(asc(maintenanceWindowLog.id))).map((e) => e.action);
const historyOf = async (id: string) => t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(asc(history.seq));
const hour = 3_600_000;
/** Runs ticks until nothing is left to do (resumes are paced in batches). */
async function settle() {
  for (let i = 0; i < 10; i++) {
    const done = await runWindows(t.db, { ratePerSecond: 1000 });
    if (!done.ended && !done.started && !done.paused && !done.resumed) return;
  }
}

/** A one-off window over `keys`, an hour ahead, then moved so that it started a minute ago and ends `endsInMs` from now (database clock). */
async function openWindow(keys: string[], endsInMs = hour) {
  const w = await createWindow(t.db, { title: "DB upgrade", workflowKeys: keys, reason: "Postgres 17 upgrade", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() }, operator);
  await t.db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000), nextEndAt: new Date(Date.now() + endsInMs) }).where(eq(maintenanceWindows.id, w.id));
  return w;
}
/** Moves an active window's end into the past, as if its time had come. */
const reachEnd = (id: string) => t.db.update(maintenanceWindows).set({ nextEndAt: new Date(Date.now() - 1_000) }).where(eq(maintenanceWindows.id, id));

describe("a maintenance window", () => {
  it("pauses its workflows and their running instances at the start, and resumes both at the end, as window:<id>", async () => {
    const def = await createDefinition(t.db);
    const a = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const b = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const w = await openWindow([def.key]);
    const by = windowActor(w.id).label;

    await settle();
    expect((await windowRow(w.id)).state).toBe("active");
    const [pause] = await t.db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, def.key));
    expect(pause).toMatchObject({ heldByLabel: by, reason: 'Maintenance window "DB upgrade": Postgres 17 upgrade' });
    for (const id of [a.id, b.id]) expect(await row(id)).toMatchObject({ status: "paused", pausedByLabel: by, pauseKind: "scheduled", pauseMode: "graceful", pauseCategory: "maintenance" });

    await reachEnd(w.id);
    await settle();
    expect((await windowRow(w.id)).state).toBe("done");
    expect(await t.db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, def.key))).toEqual([]);
    for (const id of [a.id, b.id]) {
      expect((await row(id)).status).toBe("running");
      const rows = (await historyOf(id)).filter((h) => h.actorLabel === by).map((h) => [h.action, h.fromStatus, h.toStatus]);
      expect(rows).toEqual([
        ["paused", "running", "paused"],
        ["resumed", "paused", "running"],
      ]);
    }
    expect((await t.db.select().from(workflowHoldLog).where(eq(workflowHoldLog.workflowKey, def.key)).orderBy(asc(workflowHoldLog.id))).map((e) => [e.action, e.actorLabel])).toEqual([
      ["held", by],
      ["released", by],
    ]);
    expect(await windowLog(w.id)).toEqual(["created", "started", "ended"]);
  });

  it("leaves paused what someone else paused: an operator's pause placed during the window, and a workflow paused before it", async () => {
    const def = await createDefinition(t.db);
    const held = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const plain = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const other = await createDefinition(t.db);
    await pauseWorkflow(t.db, { workflow: other.key, reason: "Vendor outage" }, operator);
    const w = await openWindow([def.key, other.key]);
    await settle();

    // During the window an operator takes one instance over: resumes it and pauses it for their own reason.
    await resumeInstance(t.db, { instanceId: held.id, reason: "Check one thing" }, operator);
    await settle();
    // Resumed by a person during the window: the window does not pause it again.
    expect((await row(held.id)).status).toBe("running");
    await pauseInstance(t.db, { instanceId: held.id, reason: "Data fix in progress" }, operator);

    await reachEnd(w.id);
    await settle();
    expect(await row(held.id)).toMatchObject({ status: "paused", pausedByLabel: operator.label, pauseReason: "Data fix in progress" });
    expect((await row(plain.id)).status).toBe("running");
    // The operator's pause of the other workflow outlives the window.
    expect(await t.db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, other.key))).toMatchObject([{ heldByLabel: operator.label, reason: "Vendor outage" }]);
    expect((await t.db.select().from(maintenanceWindowLog).where(and(eq(maintenanceWindowLog.windowId, w.id), eq(maintenanceWindowLog.action, "started"))))[0]!.details).toMatchObject({ pausedWorkflows: [def.key], alreadyPaused: [other.key] });
  });

  it("re-checks under the lock: a pause an operator placed while the end was resuming another instance stays", async () => {
    const def = await createDefinition(t.db);
    const first = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const second = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const w = await openWindow([def.key]);
    await settle();
    // The resume condition runs inside the window end's resume of the first instance, after the
    // end read both: there the operator takes the other over. Certain, not timed.
    let act: ((checking: string) => Promise<void>) | null = null;
    let takenOver = "";
    registerResumeCondition(def.key, async ({ instance }) => {
      const go = act;
      act = null;
      if (go) await go(instance.id);
      return { ok: true };
    });
    act = async (checking) => {
      takenOver = checking === first.id ? second.id : first.id;
      await resumeInstance(t.db, { instanceId: takenOver, reason: "Operator takes over" }, operator);
      await pauseInstance(t.db, { instanceId: takenOver, reason: "Hold until further notice" }, operator);
    };
    await reachEnd(w.id);
    await runWindows(t.db, { ratePerSecond: 1000 });
    expect(takenOver).not.toBe("");
    expect(await row(takenOver)).toMatchObject({ status: "paused", pausedByLabel: operator.label, pauseReason: "Hold until further notice" });
    const windowResumes = (await historyOf(takenOver)).filter((h) => h.action === "resumed" && h.actorLabel === windowActor(w.id).label);
    expect(windowResumes).toEqual([]);
  });

  it("ending while an instance still drains resumes it with its in-flight step untouched", async () => {
    const def = await createDefinition(t.db);
    const draining = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, runningSteps: ["a"] });
    const w = await openWindow([def.key]);
    await settle();
    expect((await row(draining.id)).status).toBe("paused");
    await reachEnd(w.id);
    await settle();
    expect((await row(draining.id)).status).toBe("running");
    const runs = await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, draining.id));
    expect(runs.map((r) => [r.stepKey, r.status])).toEqual([["a", "running"]]);
  });

  it("a missed window (its end passed while the worker was down) is skipped, not started; a recurring one moves to its next occurrence", async () => {
    const def = await createDefinition(t.db);
    const inst = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const once = await openWindow([def.key]);
    const nightly = await createWindow(t.db, { title: "Nightly", workflowKeys: [def.key], reason: "Backups", cron: "0 2 * * *", timezone: "Europe/Berlin", durationMinutes: 60 }, operator);
    const past = { nextStartAt: new Date(Date.now() - 3 * hour), nextEndAt: new Date(Date.now() - 2 * hour) };
    await t.db.update(maintenanceWindows).set(past).where(eq(maintenanceWindows.id, once.id));
    await t.db.update(maintenanceWindows).set(past).where(eq(maintenanceWindows.id, nightly.id));

    await settle();
    expect((await windowRow(once.id)).state).toBe("done");
    const moved = await windowRow(nightly.id);
    expect(moved.state).toBe("scheduled");
    expect(moved.nextStartAt.getTime()).toBeGreaterThan(Date.now());
    expect(moved.nextEndAt.getTime() - moved.nextStartAt.getTime()).toBe(hour);
    expect(await windowLog(once.id)).toEqual(["created", "skipped"]);
    expect(await windowLog(nightly.id)).toEqual(["created", "skipped"]);
    expect((await row(inst.id)).status).toBe("running");
    expect(await t.db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, def.key))).toEqual([]);
  });

  it("a started window whose end passed while the worker was down is ended on the next tick", async () => {
    const def = await createDefinition(t.db);
    const inst = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const w = await openWindow([def.key]);
    await settle();
    expect((await row(inst.id)).status).toBe("paused");
    await t.db.update(maintenanceWindows).set({ nextEndAt: new Date(Date.now() - 2 * hour), nextStartAt: new Date(Date.now() - 3 * hour) }).where(eq(maintenanceWindows.id, w.id));
    await settle();
    expect((await windowRow(w.id)).state).toBe("done");
    expect((await row(inst.id)).status).toBe("running");
  });

  it("can be ended early and cancelled with a reason; an active window cannot be edited", async () => {
    const def = await createDefinition(t.db);
    const inst = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const w = await openWindow([def.key]);
    await settle();
    expect(await refusal(editWindow(t.db, { windowId: w.id, title: "x", workflowKeys: [def.key], reason: "y", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() }, operator))).toMatchObject({ code: "conflict" });
    expect(await refusal(endWindowEarly(t.db, { windowId: w.id, reason: " " }, operator))).toMatchObject({ code: "invalid", fields: { reason: [expect.any(String)] } });
    await endWindowEarly(t.db, { windowId: w.id, reason: "Upgrade done sooner" }, operator);
    await settle();
    expect((await row(inst.id)).status).toBe("running");
    expect(await windowLog(w.id)).toEqual(["created", "started", "ended_early"]);
    expect((await t.db.select().from(maintenanceWindowLog).where(and(eq(maintenanceWindowLog.windowId, w.id), eq(maintenanceWindowLog.action, "ended_early"))))[0]).toMatchObject({ actorLabel: operator.label, reason: "Upgrade done sooner" });

    const later = await createWindow(t.db, { title: "Later", workflowKeys: [def.key], reason: "Later", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() }, operator);
    await cancelWindow(t.db, { windowId: later.id, reason: "Not needed" }, operator);
    expect(await windowRow(later.id)).toMatchObject({ state: "cancelled", cancelReason: "Not needed", cancelledByLabel: operator.label });
    expect(await refusal(cancelWindow(t.db, { windowId: later.id, reason: "Again" }, operator))).toMatchObject({ code: "conflict" });
    await t.db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000) }).where(eq(maintenanceWindows.id, later.id));
    await settle();
    expect((await row(inst.id)).status).toBe("running");
  });

  it("refuses bad input with the field named and writes nothing", async () => {
    const def = await createDefinition(t.db);
    const before = (await t.db.select().from(maintenanceWindows)).length;
    const cases: [Record<string, unknown>, string][] = [
      [{ title: "x", workflowKeys: [def.key], reason: "r", startsAt: "2027-01-02T00:00Z", endsAt: "2027-01-01T00:00Z" }, "endsAt"],
      [{ title: "x", workflowKeys: [def.key], reason: "r", startsAt: "2020-01-01T00:00Z", endsAt: "2020-01-01T01:00Z" }, "endsAt"],
      [{ title: "x", workflowKeys: ["no-such-workflow"], reason: "r", startsAt: "2027-01-01T00:00Z", endsAt: "2027-01-01T01:00Z" }, "workflowKeys"],
      [{ title: "x", workflowKeys: [def.key], reason: "r", cron: "61 * * * *", durationMinutes: 30 }, "cron"],
      [{ title: "x", workflowKeys: [def.key], reason: "r", cron: "0 2 * * *", timezone: "Mars/Olympus", durationMinutes: 30 }, "timezone"],
      [{ title: "x", workflowKeys: [def.key], reason: "r", cron: "0 2 * * *" }, "durationMinutes"],
      [{ title: "", workflowKeys: [def.key], reason: "r", startsAt: "2027-01-01T00:00Z", endsAt: "2027-01-01T01:00Z" }, "title"],
      [{ title: "x", workflowKeys: [], reason: "r", startsAt: "2027-01-01T00:00Z", endsAt: "2027-01-01T01:00Z" }, "workflowKeys"],
    ];
    for (const [input, field] of cases) {
      const error = await refusal(createWindow(t.db, input, operator));
      expect(error, JSON.stringify(input)).toMatchObject({ code: "invalid" });
      expect(Object.keys(error!.fields ?? {}), JSON.stringify(input)).toContain(field);
    }
    expect((await t.db.select().from(maintenanceWindows)).length).toBe(before);
    expect(await refusal(endWindowEarly(t.db, { windowId: "not-a-uuid", reason: "x" }, operator))).toMatchObject({ code: "not_found" });
  });

  it("the window log is append-only", async () => {
    await expect(t.sql`update maintenance_window_log set reason = 'rewritten'`).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(t.sql`delete from maintenance_window_log`).rejects.toThrow(/append-only: DELETE refused/);
  });

  it("resume of a window's instances is also refused politely by a resume condition, and retried later", async () => {
    const def = await createDefinition(t.db);
    const inst = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const w = await openWindow([def.key]);
    await settle();
    let allow = false;
    registerResumeCondition(def.key, () => (allow ? { ok: true } : { ok: false, message: "replica still catching up" }));
    await reachEnd(w.id);
    await runWindows(t.db, { ratePerSecond: 1000 });
    const refused: string[] = [];
    await resumeAfterWindows(t.db, { onRefused: (id) => refused.push(id), ratePerSecond: 1000 });
    expect(refused).toContain(inst.id);
    expect((await row(inst.id)).status).toBe("paused");
    allow = true;
    await settle();
    expect((await row(inst.id)).status).toBe("running");
  });
});

it("resumeWorkflow by a person lifts a window's workflow pause too (the person decides), and the window's end then leaves the workflow alone", async () => {
  const def = await createDefinition(t.db);
  const w = await openWindow([def.key]);
  await settle();
  await resumeWorkflow(t.db, { workflow: def.key, reason: "Needed now" }, operator);
  await pauseWorkflow(t.db, { workflow: def.key, reason: "My own freeze" }, operator);
  await reachEnd(w.id);
  await settle();
  expect(await t.db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, def.key))).toMatchObject([{ heldByLabel: operator.label, reason: "My own freeze" }]);
});
