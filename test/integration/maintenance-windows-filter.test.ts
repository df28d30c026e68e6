import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { history, instances, maintenanceWindowLog, maintenanceWindows, stepRuns, workflowHolds } from "@/db/schema";
import { windowActor } from "@/lib/actors";
import { AppError } from "@/lib/errors";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { pauseForActiveWindows, runWindows } from "@/lib/maintenance/run-windows";
import { countCovered, heldCounts } from "@/lib/maintenance/window-filter";
import { createWindow, editWindow, windowWithLog } from "@/lib/maintenance/windows";
import { registerDefinitions } from "@/lib/workflows/registry";
import { defineWorkflow } from "@/lib/workflows/sdk";
import { freshDatabase } from "../support/db";
import { actor, createDefinition, createInstance, createUser } from "../support/factories";
import { waitFor } from "../support/worker";

/*
 * Maintenance windows over a filter of instances ("every instance of nightly-etl whose input has
 * region=eu"): the window holds the matching running and waiting instances, and matching new
 * starts, and never the workflow. Ticks are driven directly (runWindows is what the worker's
 * chores call); times are moved relative to the database clock, as in maintenance-windows.test.ts.
 */

const t = await freshDatabase();
const operator = actor(await createUser(t.db, "operator"));
const etl = defineWorkflow({ key: "f-etl", version: 1, name: "Nightly ETL", steps: { extract: { run: () => undefined }, load: { dependsOn: ["extract"], run: () => undefined } } });
const catalog = [etl];
await registerDefinitions(t.db, catalog);

const hour = 3_600_000;
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as AppError);
const row = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const actionsOf = async (id: string) => (await t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(asc(history.seq))).map((h) => [h.action, h.actorLabel]);
const holdsOf = (key: string) => t.db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, key));
async function settle() {
  for (let i = 0; i < 10; i++) {
    const done = await runWindows(t.db, { ratePerSecond: 1000 });
    if (!done.ended && !done.started && !done.paused && !done.resumed) return;
  }
}
/** A one-off window over `keys` holding the instances `instanceFilter` matches, made to have started a minute ago (database clock). */
async function openFilterWindow(keys: string[], instanceFilter: { input?: string; q?: string }) {
  const w = await createWindow(t.db, { title: "EU failover", workflowKeys: keys, instanceFilter, reason: "EU database failover", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() }, operator);
  await t.db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000), nextEndAt: new Date(Date.now() + hour) }).where(eq(maintenanceWindows.id, w.id));
  return w;
}
const reachEnd = (id: string) => t.db.update(maintenanceWindows).set({ nextEndAt: new Date(Date.now() - 1_000) }).where(eq(maintenanceWindows.id, id));

describe("a maintenance window over a filter of instances", () => {
  it("pauses exactly the running and waiting instances its filter matches, never the workflow, and resumes only its own at the end", async () => {
    const def = await createDefinition(t.db);
    const other = await createDefinition(t.db);
    const inWorkflow = { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] };
    const eu = await createInstance(t.db, { ...inWorkflow, input: { region: "eu", customer: "acme" } });
    const euNested = await createInstance(t.db, { ...inWorkflow, input: { region: "eu", tier: 2 } });
    const euWaiting = await createInstance(t.db, { ...inWorkflow, status: "waiting", input: { region: "eu" } });
    const us = await createInstance(t.db, { ...inWorkflow, input: { region: "us" } });
    const euElsewhere = await createInstance(t.db, { definitionId: other.id, workflowKey: other.key, pendingSteps: ["a"], input: { region: "eu" } });
    const euOperator = await createInstance(t.db, { ...inWorkflow, input: { region: "eu" } });
    await pauseInstance(t.db, { instanceId: euOperator.id, reason: "Investigating a bad row" }, operator);

    const w = await openFilterWindow([def.key], { input: "region=eu" });
    expect(w.instanceFilter).toEqual({ input: "region=eu" });
    expect(await countCovered(t.db, w)).toBe(3);
    await settle();
    const by = windowActor(w.id).label;

    expect((await windowWithLog(t.db, w.id)).state).toBe("active");
    for (const id of [eu.id, euNested.id, euWaiting.id]) expect(await row(id)).toMatchObject({ status: "paused", pausedByLabel: by, pauseKind: "scheduled", pauseMode: "graceful" });
    expect((await row(euWaiting.id)).pausedFromStatus).toBe("waiting");
    expect((await row(us.id)).status).toBe("running");
    expect((await row(euElsewhere.id)).status).toBe("running");
    expect(await row(euOperator.id)).toMatchObject({ status: "paused", pausedByLabel: operator.label });
    // The workflow itself is never paused by a window with a filter.
    expect(await holdsOf(def.key)).toEqual([]);
    const [started] = await t.db.select().from(maintenanceWindowLog).where(and(eq(maintenanceWindowLog.windowId, w.id), eq(maintenanceWindowLog.action, "started")));
    expect(started!.details).toMatchObject({ pausedWorkflows: [], instanceFilter: { input: "region=eu" } });
    expect((await heldCounts(t.db, [w.id])).get(w.id)).toBe(3);
    expect((await windowWithLog(t.db, w.id)).held).toBe(3);

    // During the window an operator takes one over (resume, then their own pause): it stays theirs.
    await resumeInstance(t.db, { instanceId: euNested.id, reason: "Operator takes over" }, operator);
    await pauseInstance(t.db, { instanceId: euNested.id, reason: "Hold until further notice" }, operator);
    await settle();
    expect((await row(euNested.id)).pausedByLabel).toBe(operator.label);

    await reachEnd(w.id);
    await settle();
    expect((await windowWithLog(t.db, w.id)).state).toBe("done");
    expect((await row(eu.id)).status).toBe("running");
    expect((await row(euWaiting.id)).status).toBe("waiting");
    expect(await row(euNested.id)).toMatchObject({ status: "paused", pausedByLabel: operator.label, pauseReason: "Hold until further notice" });
    expect(await row(euOperator.id)).toMatchObject({ status: "paused", pausedByLabel: operator.label, pauseReason: "Investigating a bad row" });
    expect(await actionsOf(eu.id)).toEqual([
      ["started", "test"],
      ["paused", by],
      ["resumed", by],
    ]);
    expect(await actionsOf(us.id)).toEqual([["started", "test"]]);
    expect(await holdsOf(def.key)).toEqual([]);
  });

  it("re-checks the filter under the instance's lock: an instance that stopped matching after the sweep chose it is left alone", async () => {
    const def = await createDefinition(t.db);
    const w = await openFilterWindow([def.key], { input: "region=eu" });
    await settle();
    const moved = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"], input: { region: "eu" } });

    // Hold the instance's lock; the sweep chooses it from a read, then waits for the lock. Meanwhile
    // its input stops matching; when the lock is granted, the sweep must see that and leave it.
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const holder = t.sql.begin(async (sql) => {
      await sql`select id from instances where id = ${moved.id} for update`;
      locked();
      await released;
      await sql`update instances set input = '{"region":"us"}'::jsonb where id = ${moved.id}`;
    });
    await lockTaken;
    const sweep = pauseForActiveWindows(t.db);
    await waitFor("the sweep to wait for the instance's lock", async () => (await t.sql`select 1 from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`).length > 0);
    release();
    await holder;
    await sweep;
    expect(await row(moved.id)).toMatchObject({ status: "running", pausedByLabel: null });
    expect(w.instanceFilter).toEqual({ input: "region=eu" });
    expect(await actionsOf(moved.id)).toEqual([["started", "test"]]);
  });

  it("holds a matching instance started during the window in its start transaction, before any step of it can run; other starts run", async () => {
    const w = await openFilterWindow(["f-etl"], { input: "region=eu" });
    await settle();
    const by = windowActor(w.id).label;

    const eu = await startInstance(t.db, { workflow: "f-etl", input: { region: "eu" } }, operator, { catalog });
    expect(eu).toMatchObject({ status: "paused", pausedByLabel: by, pauseKind: "scheduled", pausedFromStatus: "running" });
    expect(await actionsOf(eu.id)).toEqual([
      ["started", operator.label],
      ["paused", by],
    ]);
    const [held] = await t.db.select().from(history).where(and(eq(history.instanceId, eu.id), eq(history.action, "paused")));
    expect(held!.details).toMatchObject({ heldAtStart: true, windowOccurrence: expect.any(String) });
    // Its first step is queued, not started: a worker claims only running instances.
    expect((await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, eu.id))).map((r) => [r.stepKey, r.status, r.startedAt])).toEqual([["extract", "pending", null]]);
    // The sweep does not pause it a second time.
    await settle();
    expect((await actionsOf(eu.id)).filter(([a]) => a === "paused")).toHaveLength(1);

    const us = await startInstance(t.db, { workflow: "f-etl", input: { region: "us" } }, operator, { catalog });
    expect(us.status).toBe("running");
    expect(await holdsOf("f-etl")).toEqual([]);

    await reachEnd(w.id);
    await settle();
    expect((await row(eu.id)).status).toBe("running");
    expect((await actionsOf(eu.id)).at(-1)).toEqual(["resumed", by]);
    // After the window, a matching start runs at once.
    expect((await startInstance(t.db, { workflow: "f-etl", input: { region: "eu" } }, operator, { catalog })).status).toBe("running");
  });

  it("an id prefix filter holds only the instances whose id starts with it", async () => {
    const def = await createDefinition(t.db);
    const a = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const b = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
    const prefix = a.id.slice(0, 13);
    const w = await openFilterWindow([def.key], { q: prefix.toUpperCase() });
    await settle();
    expect((await row(a.id)).pausedByLabel).toBe(windowActor(w.id).label);
    expect((await row(b.id)).status).toBe(b.id.startsWith(prefix) ? "paused" : "running");
  });

  it("refuses a bad filter with the field named and writes nothing; an edit can add and drop the filter", async () => {
    const def = await createDefinition(t.db);
    const before = (await t.db.select().from(maintenanceWindows)).length;
    const base = { title: "x", workflowKeys: [def.key], reason: "r", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() };
    const cases: [unknown, string][] = [
      [{ input: "region" }, "instanceFilter.input"],
      [{ input: "region=eu, =x" }, "instanceFilter.input"],
      [{ input: "a=1,b=2,c=3,d=4,e=5,f=6" }, "instanceFilter.input"],
      [{}, "instanceFilter.input"],
      [{ input: " ", q: "" }, "instanceFilter.input"],
      [{ q: "x".repeat(101) }, "instanceFilter.q"],
      [{ input: "region=eu", status: "running" }, "instanceFilter"],
      [{ input: 42 }, "instanceFilter.input"],
      ["region=eu", "instanceFilter"],
    ];
    for (const [instanceFilter, field] of cases) {
      const error = await refusal(createWindow(t.db, { ...base, instanceFilter }, operator));
      expect(error, JSON.stringify(instanceFilter)).toMatchObject({ code: "invalid" });
      expect(Object.keys(error!.fields ?? {}), JSON.stringify(instanceFilter)).toContain(field);
    }
    expect((await t.db.select().from(maintenanceWindows)).length).toBe(before);

    const w = await createWindow(t.db, { ...base, instanceFilter: { input: " region=eu ", q: "" } }, operator);
    expect(w.instanceFilter).toEqual({ input: "region=eu" });
    const whole = await editWindow(t.db, { ...base, windowId: w.id, expectedVersion: w.version }, operator);
    expect(whole.instanceFilter).toBeNull();
    const again = await editWindow(t.db, { ...base, windowId: w.id, expectedVersion: whole.version, instanceFilter: { q: "4f2a" } }, operator);
    expect(again.instanceFilter).toEqual({ q: "4f2a" });
    // The database refuses a filter with neither field, whoever writes it.
    await expect(t.sql`update maintenance_windows set instance_filter = '{}'::jsonb where id = ${w.id}`).rejects.toThrow(/maintenance_window_instance_filter/);
  });
});
