import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, gates, history, instances, stepRuns } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { approveGate, rejectGate } from "@/lib/gates/decide-gate";
import { cancelInstance } from "@/lib/instances/cancel-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { observationsOf, prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operatorUser = await createUser(t.db, "operator");
const operator = actor(operatorUser);
const approver = await createUser(t.db, "approver");
const worker = await spawnWorker(t.url);

const start = (workflow: string, input?: unknown) => startInstance(t.db, { workflow, input }, operator, { catalog });
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt));
const historyOf = (id: string) => t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq);
const actions = async (id: string) => (await historyOf(id)).map((h) => h.action);
const eventTypes = async (id: string) => (await t.db.select().from(events).where(eq(events.instanceId, id)).orderBy(events.id)).map((e) => e.type);
const untilStatus = (id: string, status: string) =>
  waitFor(`instance ${status}`, async () => {
    const row = await instanceRow(id);
    return row.status === status && row;
  });
const observations = (id: string) => observationsOf(t.db, id);

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("starting an instance", () => {
  it("runs the DAG in order, merges each step's context, completes with history and events", async () => {
    const inst = await start("t-chain", { ms: 5 });
    expect(inst).toMatchObject({ status: "running", startedByLabel: operator.label, currentSteps: ["a"], input: { ms: 5 } });
    const done = await untilStatus(inst.id, "completed");
    expect(done.context).toEqual({ a: 1, b: 1, c: 1, list: [1, 2, 3], nested: { z: 1, a: "ü" } });
    expect(done.currentSteps).toEqual([]);
    const runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "completed"], ["c", "completed"]]);
    expect(runs[0]!.output).toEqual({ done: "a" });
    expect(runs[1]!.startedAt!.getTime()).toBeGreaterThanOrEqual(runs[0]!.finishedAt!.getTime());
    expect(runs.every((r) => r.workerId === worker.id)).toBe(true);
    // Instance-level events only: step timings live in step_runs.
    expect(await actions(inst.id)).toEqual(["started", "completed"]);
    expect(await eventTypes(inst.id)).toEqual(["workflow.instance.started", "workflow.instance.completed"]);
  });

  it("validates the input with the workflow's schema, applying its defaults", async () => {
    const inst = await start("t-validated", { service: "checkout-api" });
    expect(inst.input).toEqual({ service: "checkout-api", replicas: 1 });
    expect((await untilStatus(inst.id, "completed")).context).toEqual({ service: "checkout-api", replicas: 1 });
  });

  it("refuses invalid input with field errors keyed under input, and writes nothing", async () => {
    const before = (await t.db.select().from(instances)).length;
    const error = await refusal(start("t-validated", { service: "", replicas: 99 }));
    expect(error.code).toBe("invalid");
    expect(error.fields).toMatchObject({ "input.service": ["Name the service"], "input.replicas": [expect.any(String)] });
    expect((await refusal(start("t-validated", "not an object"))).code).toBe("invalid");
    expect((await refusal(startInstance(t.db, { workflow: "  " }, operator, { catalog }))).fields).toHaveProperty("workflow");
    expect((await t.db.select().from(instances)).length).toBe(before);
  });

  it("answers not_found for a workflow this deployment does not have", async () => {
    expect((await refusal(start("no-such-workflow"))).code).toBe("not_found");
  });
});

describe("retries, timeouts and failure", () => {
  it("retries a failing step with backoff and completes; failed attempts stay on record", async () => {
    const inst = await start("t-flaky", { succeedOn: 3 });
    const done = await untilStatus(inst.id, "completed");
    expect(done.context).toEqual({ succeededOn: 3 });
    const runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.attempt, r.status])).toEqual([[1, "failed"], [2, "failed"], [3, "completed"]]);
    expect(runs[0]!.error).toBe("upstream returned 503 (attempt 1)");
    // Backoff (base 20 ms): the retry became available only after the failed attempt had started
    // plus that delay (less a millisecond of JS clock truncation). Causal, not a speed threshold.
    expect(runs[1]!.availableAt.getTime()).toBeGreaterThanOrEqual(runs[0]!.startedAt!.getTime() + 19);
    expect(runs[2]!.availableAt.getTime()).toBeGreaterThanOrEqual(runs[1]!.startedAt!.getTime() + 39);
  });

  it("fails the instance when the retries are spent, with history and event", async () => {
    const inst = await start("t-flaky", { succeedOn: 9 });
    const failed = await untilStatus(inst.id, "failed");
    expect(failed.error).toBe("attempt: upstream returned 503 (attempt 3)");
    expect((await runsOf(inst.id)).map((r) => r.status)).toEqual(["failed", "failed", "failed"]);
    expect(await actions(inst.id)).toEqual(["started", "failed"]);
    expect(await eventTypes(inst.id)).toContain("workflow.instance.failed");
  });

  it("times out a step that ignores its signal, counting the timeout as a failed attempt", async () => {
    const inst = await start("t-timeout");
    const failed = await untilStatus(inst.id, "failed");
    expect(failed.error).toBe("hang: Timed out after 150 ms");
    expect((await runsOf(inst.id)).map((r) => [r.attempt, r.status])).toEqual([[1, "failed"], [2, "failed"]]);
    // It could not be stopped, only let go: once it ends, each run says it ran on past its timeout.
    const runs = await waitFor("both runs noted as ignoring their signal", async () => {
      const rows = await runsOf(inst.id);
      return rows.every((r) => r.error?.includes("ignored its abort signal")) && rows;
    });
    for (const run of runs) expect(run.error).toMatch(/^Timed out after 150 ms \(the step ignored its abort signal and ran on for \d+ ms; its result was discarded\)$/);
  });
});

describe("programmatic pause, checkpoints and gates", () => {
  it("a step pausing its own workflow: takes effect when the step returns, recorded with the step as actor", async () => {
    const inst = await start("t-programmatic");
    const paused = await untilStatus(inst.id, "paused");
    expect(paused).toMatchObject({ pauseKind: "programmatic", pausedByLabel: "step:check", pauseReason: "High system load detected", pauseMode: "graceful", context: { load: 0.97 } });
    const runs = await runsOf(inst.id);
    // The step's result is kept, and its successor is queued but does not start while paused.
    expect(runs.map((r) => [r.stepKey, r.status])).toEqual([["check", "completed"], ["next", "pending"]]);
    expect((await historyOf(inst.id)).find((h) => h.action === "paused" && h.actorLabel === "step:check")).toMatchObject({ action: "paused", actorLabel: "step:check", fromStatus: "running", toStatus: "paused" });
    await new Promise((r) => setTimeout(r, 300));
    expect((await runsOf(inst.id)).find((r) => r.stepKey === "next")!.status).toBe("pending");

    await resumeInstance(t.db, { instanceId: inst.id }, operator);
    expect((await untilStatus(inst.id, "completed")).context).toEqual({ load: 0.97, next: true });
  });

  it("pauseBefore: the instance pauses as a checkpoint with the step queued; resume runs it once", async () => {
    const inst = await start("t-checkpoint");
    const paused = await untilStatus(inst.id, "paused");
    expect(paused).toMatchObject({ pauseKind: "checkpoint", pausedByLabel: "engine", currentSteps: ["apply"] });
    expect(paused.pauseReason).toMatch(/^Review point before step "apply"/);
    expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["generate", "completed"], ["apply", "pending"]]);

    await resumeInstance(t.db, { instanceId: inst.id, reason: "SQL reviewed" }, operator);
    const done = await untilStatus(inst.id, "completed");
    expect(done.context).toEqual({ migration: "0042.sql", applied: true });
    // No duplicate run on resume, and the checkpoint does not stop it a second time.
    expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["generate", "completed"], ["apply", "completed"]]);
    expect(await actions(inst.id)).toEqual(["started", "paused", "resumed", "completed"]);
  });

  it("a gate makes the instance wait; approval continues it to completion", async () => {
    const inst = await start("t-gated");
    const waiting = await untilStatus(inst.id, "waiting");
    expect(waiting.currentSteps).toEqual(["deploy"]);
    expect((await runsOf(inst.id)).map((r) => r.stepKey)).toEqual(["build"]);
    expect(await actions(inst.id)).toEqual(["started", "waiting", "gate_requested"]);
    expect(await eventTypes(inst.id)).toContain("workflow.instance.waiting");

    const [gate] = await t.db.select().from(gates).where(and(eq(gates.instanceId, inst.id), eq(gates.stepKey, "deploy")));
    await approveGate(t.db, { gateId: gate!.id, comment: "staging is green" }, approver);
    const done = await untilStatus(inst.id, "completed");
    expect(done.context).toEqual({ built: true, deployed: true, verified: true });
  });

  it("a rejected gate fails the instance and nothing after it runs", async () => {
    const inst = await start("t-gated");
    await untilStatus(inst.id, "waiting");
    const [gate] = await t.db.select().from(gates).where(eq(gates.instanceId, inst.id));
    await rejectGate(t.db, { gateId: gate!.id, comment: "error rate doubled on staging" }, approver);
    expect((await instanceRow(inst.id)).status).toBe("failed");
    await new Promise((r) => setTimeout(r, 300));
    expect((await runsOf(inst.id)).map((r) => r.stepKey)).toEqual(["build"]);
  });
});

describe("cancel", () => {
  it("aborts the running step, cancels what is queued, records who and why", async () => {
    const inst = await start("t-chain", { ms: 5_000 });
    await waitFor("step a running", async () => (await runsOf(inst.id)).some((r) => r.status === "running"));
    const cancelled = await cancelInstance(t.db, { instanceId: inst.id, reason: "  Superseded by a newer build " }, operator);
    expect(cancelled).toMatchObject({ status: "cancelled", error: "Superseded by a newer build" });
    // The worker got the NOTIFY and fired the step's signal.
    await waitFor("abort observed", async () => (await observations(inst.id)).includes("a:aborted"));
    const runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.stepKey, r.status])).toEqual([["a", "cancelled"]]);
    expect((await historyOf(inst.id)).find((h) => h.action === "cancelled")).toMatchObject({ action: "cancelled", actorLabel: operator.label, reason: "Superseded by a newer build", fromStatus: "running", toStatus: "cancelled" });
    expect(await eventTypes(inst.id)).toContain("workflow.instance.cancelled");
    await new Promise((r) => setTimeout(r, 300));
    expect((await runsOf(inst.id)).length).toBe(1);
  });

  it("needs a reason, refuses an ended instance, and changes nothing when refused", async () => {
    const inst = await start("t-chain", { ms: 2_000 });
    for (const reason of ["", "   ", "x".repeat(501)]) {
      const error = await refusal(cancelInstance(t.db, { instanceId: inst.id, reason }, operator));
      expect(error.code).toBe("invalid");
      expect(error.fields).toHaveProperty("reason");
    }
    expect((await instanceRow(inst.id)).status).toBe("running");
    await cancelInstance(t.db, { instanceId: inst.id, reason: "done with it" }, operator);
    const again = await refusal(cancelInstance(t.db, { instanceId: inst.id, reason: "twice" }, operator));
    expect(again.code).toBe("conflict");
    expect((await actions(inst.id)).filter((a) => a === "cancelled")).toHaveLength(1);
    expect((await refusal(cancelInstance(t.db, { instanceId: "nope", reason: "x" }, operator))).code).toBe("not_found");
  });
});
