import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { history, instances, stepRuns } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog, conditions } from "../support/test-catalog";
import { observationsOf, prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));
const other = actor(await createUser(t.db, "operator"));
await spawnWorker(t.url);

const start = (workflow: string, input?: unknown) => startInstance(t.db, { workflow, input }, operator, { catalog });
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt));
const historyOf = (id: string) => t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq);
const untilStatus = (id: string, status: string) =>
  waitFor(`instance ${status}`, async () => {
    const row = await instanceRow(id);
    return row.status === status && row;
  });
const untilRunning = (id: string, step: string) => waitFor(`${step} running`, async () => (await runsOf(id)).find((r) => r.stepKey === step && r.status === "running"));
const running = async (id: string) => (await runsOf(id)).filter((r) => r.status === "running").length;
const contextText = async (id: string) => (await t.db.execute<{ text: string }>(sql`select context::text as text from instances where id = ${id}`))[0]!.text;
const quiet = (ms = 300) => new Promise((r) => setTimeout(r, ms));

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("graceful pause", () => {
  it("lets the in-flight step finish and keeps its result, shows draining, starts nothing new until resumed", async () => {
    const inst = await start("t-chain", { ms: 600 });
    await untilRunning(inst.id, "a");
    const paused = await pauseInstance(t.db, { instanceId: inst.id, reason: "maintenance", mode: "graceful" }, operator);
    expect(paused.status).toBe("paused");
    // Draining: the dashboard derives it as the running runs of a paused instance.
    expect(await running(inst.id)).toBe(1);

    await waitFor("a finished", async () => (await runsOf(inst.id)).find((r) => r.stepKey === "a")?.status === "completed");
    expect(await running(inst.id)).toBe(0);
    const row = await instanceRow(inst.id);
    expect(row.status).toBe("paused");
    expect(row.context).toMatchObject({ a: 1 });
    await quiet();
    expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "pending"]]);

    await resumeInstance(t.db, { instanceId: inst.id }, operator);
    await untilStatus(inst.id, "completed");
  });
});

describe("immediate pause", () => {
  it("aborts the in-flight step (interrupted, not failed); on resume it runs again from its start, same attempt", async () => {
    const inst = await start("t-chain", { ms: 800 });
    const first = await untilRunning(inst.id, "a");
    await pauseInstance(t.db, { instanceId: inst.id, reason: "incident", mode: "immediate" }, operator);
    await waitFor("abort observed", async () => (await observationsOf(t.db, inst.id)).includes("a:aborted"));
    let runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.stepKey, r.attempt, r.status])).toEqual([["a", 1, "interrupted"], ["a", 1, "pending"]]);
    expect(runs[0]!.id).toBe(first.id);
    await quiet();
    expect((await runsOf(inst.id)).map((r) => r.status)).toEqual(["interrupted", "pending"]);

    await resumeInstance(t.db, { instanceId: inst.id }, operator);
    const done = await untilStatus(inst.id, "completed");
    runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.stepKey, r.attempt, r.status])).toEqual([
      ["a", 1, "interrupted"],
      ["a", 1, "completed"],
      ["b", 1, "completed"],
      ["c", 1, "completed"],
    ]);
    // The interrupted run's result never reached the context: the rerun's did, once.
    expect(done.context).toMatchObject({ a: 1, b: 1, c: 1 });
  });
});

describe("resume continues from the same state", () => {
  it("completed steps are not rerun and the context is byte-for-byte what it was at the pause", async () => {
    const inst = await start("t-chain", { ms: 300 });
    await untilRunning(inst.id, "a");
    await pauseInstance(t.db, { instanceId: inst.id, reason: "hold", mode: "graceful" }, operator);
    await waitFor("drained", async () => (await running(inst.id)) === 0);
    const atPause = await contextText(inst.id);
    const seenAtPause = JSON.stringify((await instanceRow(inst.id)).context);
    await quiet(200);

    await resumeInstance(t.db, { instanceId: inst.id }, other);
    expect(await contextText(inst.id)).toBe(atPause);
    await untilStatus(inst.id, "completed");
    // Step b, the first after resume, saw exactly that context.
    expect(await observationsOf(t.db, inst.id)).toContain(`b:saw:${seenAtPause}`);
    const runs = await runsOf(inst.id);
    for (const step of ["a", "b", "c"]) expect(runs.filter((r) => r.stepKey === step)).toHaveLength(1);
  });
});

describe("resume validation", () => {
  it("a failing condition keeps the instance paused with the message; force needs a reason and is recorded", async () => {
    const inst = await start("t-guarded", { ms: 200 });
    await untilRunning(inst.id, "a");
    await pauseInstance(t.db, { instanceId: inst.id, reason: "window", mode: "graceful" }, operator);
    conditions.allow = false;
    try {
      const refused = await refusal(resumeInstance(t.db, { instanceId: inst.id }, operator));
      expect(refused).toMatchObject({ code: "conflict", message: "Resume condition not met: the maintenance window is still open" });
      expect((await instanceRow(inst.id)).status).toBe("paused");
      expect((await refusal(resumeInstance(t.db, { instanceId: inst.id, force: true }, operator))).code).toBe("invalid");
      await quiet();
      expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "pending"]]);

      await resumeInstance(t.db, { instanceId: inst.id, force: true, reason: "window closed early" }, operator);
      expect((await historyOf(inst.id)).find((h) => h.action === "force_resumed")).toMatchObject({ action: "force_resumed", reason: "window closed early", details: expect.objectContaining({ forced: true }) });
      await untilStatus(inst.id, "completed");
    } finally {
      conditions.allow = true;
    }
  });

  it("a passing condition resumes normally", async () => {
    const inst = await start("t-guarded", { ms: 200 });
    await untilRunning(inst.id, "a");
    await pauseInstance(t.db, { instanceId: inst.id, reason: "window" }, operator);
    await resumeInstance(t.db, { instanceId: inst.id }, operator);
    expect((await historyOf(inst.id)).find((h) => h.action === "resumed")).toMatchObject({ action: "resumed", actorLabel: operator.label });
    await untilStatus(inst.id, "completed");
  });
});

describe("scheduled continuation", () => {
  it("the worker resumes a pause at its resumeAt, as system:schedule", async () => {
    const inst = await start("t-chain", { ms: 100 });
    await untilRunning(inst.id, "a");
    const resumeAt = new Date(Date.now() + 1_200);
    const paused = await pauseInstance(t.db, { instanceId: inst.id, reason: "overnight", resumeAt: resumeAt.toISOString() }, operator);
    expect(paused).toMatchObject({ pauseKind: "scheduled", resumeAt });
    await untilStatus(inst.id, "completed");
    const resumed = (await historyOf(inst.id)).find((h) => h.action === "resumed")!;
    expect(resumed).toMatchObject({ actorLabel: "system:schedule", fromStatus: "paused", toStatus: "running" });
    expect(resumed.createdAt.getTime()).toBeGreaterThanOrEqual(resumeAt.getTime());
  });
});

describe("onPause / onResume", () => {
  it("onPause runs once the instance is fully paused (after the drain), onResume before the next step starts", async () => {
    const inst = await start("t-hooks", { ms: 500 });
    await untilRunning(inst.id, "a");
    await pauseInstance(t.db, { instanceId: inst.id, reason: "release the lock", mode: "graceful" }, operator);
    await quiet(150);
    // Still draining: the hook must wait for the in-flight step.
    expect(await observationsOf(t.db, inst.id)).toEqual([]);
    await waitFor("onPause", async () => (await observationsOf(t.db, inst.id)).includes("-:onPause"));
    const a = (await runsOf(inst.id)).find((r) => r.stepKey === "a")!;
    expect(a.status).toBe("completed");
    const onPauseRow = await waitFor("onPause recorded", async () => (await historyOf(inst.id)).find((h) => h.details.hook === "onPause"));
    expect(onPauseRow).toMatchObject({ action: "hook_ran", actorLabel: "engine", fromStatus: "paused", toStatus: "paused", reason: "Fully paused; onPause ran", details: expect.objectContaining({ ok: true }) });
    expect(onPauseRow.createdAt.getTime()).toBeGreaterThanOrEqual(a.finishedAt!.getTime() - 1);
    expect((await instanceRow(inst.id)).resources).toBe("released");

    await resumeInstance(t.db, { instanceId: inst.id }, operator);
    await untilStatus(inst.id, "completed");
    expect(await observationsOf(t.db, inst.id)).toEqual(["-:onPause", "-:onResume", "b:started"]);
    const onResumeRow = (await historyOf(inst.id)).find((h) => h.details.hook === "onResume")!;
    const b = (await runsOf(inst.id)).find((r) => r.stepKey === "b")!;
    expect(onResumeRow.createdAt.getTime()).toBeLessThanOrEqual(b.startedAt!.getTime() + 1);
    expect((await instanceRow(inst.id)).resources).toBe("held");
    // The hook's row is not mistaken for the operator's resume.
    const again = await refusal(resumeInstance(t.db, { instanceId: inst.id }, other));
    expect(again.message).not.toMatch(/by engine/);
  });

  it("a failing onPause is recorded with its error, and the instance still resumes", async () => {
    const inst = await start("t-hooks", { ms: 50, failOnPause: true });
    await untilRunning(inst.id, "a");
    await pauseInstance(t.db, { instanceId: inst.id, reason: "release", mode: "immediate" }, operator);
    const row = await waitFor("onPause recorded", async () => (await historyOf(inst.id)).find((h) => h.details.hook === "onPause"));
    expect(row).toMatchObject({ action: "hook_failed", reason: "Fully paused; onPause failed: lock server unreachable", details: expect.objectContaining({ ok: false, error: "lock server unreachable" }) });
    await resumeInstance(t.db, { instanceId: inst.id }, operator);
    await untilStatus(inst.id, "completed");
  });
});
