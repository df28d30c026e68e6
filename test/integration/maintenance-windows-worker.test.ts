import { asc, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { history, instances, maintenanceWindows, stepRuns } from "@/db/schema";
import { windowActor } from "@/lib/actors";
import { startInstance } from "@/lib/instances/start-instance";
import { createWindow } from "@/lib/maintenance/windows";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog, releaseMark } from "../support/test-catalog";
import { observationsOf, prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

/*
 * A maintenance window with a real worker process: its chores start the window, the running
 * instance drains (its in-flight step finishes and keeps its result), nothing else starts while
 * the window lasts, and the end resumes it where it stopped. The clock is moved the way
 * scheduled-resume.test.ts does: the window's times, relative to the database clock.
 */

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));
await spawnWorker(t.url);

const row = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt));
const release = (id: string, step: string) => t.db.execute(sql`insert into test_observations (instance_id, step, what) values (${id}, '-', ${releaseMark(step)})`);

it("the worker starts a window over a draining instance, holds it, and resumes it at the end where it stopped", async () => {
  const inst = await startInstance(t.db, { workflow: "t-window" }, operator, { catalog });
  await waitFor("step a running", async () => (await runsOf(inst.id)).find((r) => r.stepKey === "a" && r.status === "running"));

  const w = await createWindow(t.db, { title: "Failover", workflowKeys: ["t-window"], reason: "DB failover", startsAt: new Date(Date.now() + 3_600_000).toISOString(), endsAt: new Date(Date.now() + 7_200_000).toISOString() }, operator);
  await t.db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000) }).where(eq(maintenanceWindows.id, w.id));
  const by = windowActor(w.id).label;
  await waitFor("the window to pause the instance", async () => (await row(inst.id)).pausedByLabel === by);
  // Still draining: a is in flight. Let it finish; its result is kept and b does not start.
  expect((await runsOf(inst.id)).find((r) => r.stepKey === "a")!.status).toBe("running");
  await release(inst.id, "a");
  await waitFor("step a completed", async () => (await runsOf(inst.id)).find((r) => r.stepKey === "a" && r.status === "completed"));
  // A new start while the window holds the workflow is refused (t-window's policy is the default).
  await expect(startInstance(t.db, { workflow: "t-window" }, operator, { catalog })).rejects.toMatchObject({ code: "conflict" });
  expect((await row(inst.id)).status).toBe("paused");
  expect((await row(inst.id)).context).toMatchObject({ a: true });
  expect(await observationsOf(t.db, inst.id)).not.toContain("b:started");

  // The end comes: the worker ends the window and resumes the instance, which continues with b.
  await t.db.update(maintenanceWindows).set({ nextEndAt: new Date(Date.now() - 1_000) }).where(eq(maintenanceWindows.id, w.id));
  const done = await waitFor("the instance to complete", async () => {
    const r = await row(inst.id);
    return r.status === "completed" && r;
  });
  expect(done.context).toMatchObject({ a: true, b: true });
  // Step a ran once: resume continued from where the window stopped it.
  expect((await runsOf(inst.id)).filter((r) => r.stepKey === "a").map((r) => r.status)).toEqual(["completed"]);
  const rows = await t.db.select().from(history).where(eq(history.instanceId, inst.id)).orderBy(asc(history.seq));
  const actions = rows.map((h) => `${h.action}:${h.actorLabel === by ? "window" : h.actorLabel}`);
  expect(actions.indexOf("paused:window")).toBeGreaterThan(-1);
  expect(actions.indexOf("resumed:window")).toBeGreaterThan(actions.indexOf("paused:window"));
  // No step of b started before the window's resume.
  const bStarted = rows.findIndex((h) => h.action === "step_started" && (h.details as { step?: string }).step === "b");
  if (bStarted >= 0) expect(bStarted).toBeGreaterThan(actions.indexOf("resumed:window"));
  expect((await t.db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, w.id)))[0]!.state).toBe("done");
});

it("a window over a filter of instances holds a matching start while a real worker runs the others, and the workflow stays open", async () => {
  const w = await createWindow(t.db, { title: "EU failover", workflowKeys: ["t-window"], instanceFilter: { input: "region=eu" }, reason: "EU database failover", startsAt: new Date(Date.now() + 3_600_000).toISOString(), endsAt: new Date(Date.now() + 7_200_000).toISOString() }, operator);
  await t.db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000) }).where(eq(maintenanceWindows.id, w.id));
  await waitFor("the worker to start the window", async () => (await t.db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, w.id)))[0]!.state === "active");
  const by = windowActor(w.id).label;

  const eu = await startInstance(t.db, { workflow: "t-window", input: { region: "eu" } }, operator, { catalog });
  const us = await startInstance(t.db, { workflow: "t-window", input: { region: "us" } }, operator, { catalog });
  expect(eu).toMatchObject({ status: "paused", pausedByLabel: by });
  expect(us.status).toBe("running");
  // The other instance runs to completion meanwhile: the worker is live and the workflow is not held.
  await waitFor("us step a running", async () => (await runsOf(us.id)).find((r) => r.stepKey === "a" && r.status === "running"));
  await release(us.id, "a");
  await waitFor("us to complete", async () => (await row(us.id)).status === "completed");
  // Not one step of the held instance started.
  expect((await runsOf(eu.id)).map((r) => [r.stepKey, r.status, r.startedAt])).toEqual([["a", "pending", null]]);
  expect(await observationsOf(t.db, eu.id)).toEqual([]);

  // The end comes: the worker ends the window and resumes the held instance, which now runs.
  await t.db.update(maintenanceWindows).set({ nextEndAt: new Date(Date.now() - 1_000) }).where(eq(maintenanceWindows.id, w.id));
  await waitFor("eu step a running", async () => (await runsOf(eu.id)).find((r) => r.stepKey === "a" && r.status === "running"));
  await release(eu.id, "a");
  await waitFor("eu to complete", async () => (await row(eu.id)).status === "completed");
  const actions = (await t.db.select().from(history).where(eq(history.instanceId, eu.id)).orderBy(asc(history.seq))).map((h) => `${h.action}:${h.actorLabel === by ? "window" : h.actorLabel}`);
  expect(actions.slice(0, 3)).toEqual([`started:${operator.label}`, "paused:window", "resumed:window"]);
});
