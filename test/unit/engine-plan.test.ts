import { describe, expect, it } from "vitest";
import type { StepRun, StepSpec } from "@/db/schema";
import { backoffDelay, changesStatus, planAdvance, planRetry, type StepOutcome } from "@/lib/instances/lifecycle/plan";

const specs: StepSpec[] = [
  { key: "extract", name: "Extract", dependsOn: [] },
  { key: "a", name: "A", dependsOn: ["extract"] },
  { key: "b", name: "B", dependsOn: ["extract"] },
  { key: "load", name: "Load", dependsOn: ["a", "b"] },
];

let n = 0;
const run = (stepKey: string, status: StepRun["status"], attempt = 1): StepRun => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
  instanceId: "i",
  stepKey,
  attempt,
  status,
  availableAt: new Date(0),
  workerId: "w",
  leaseExpiresAt: null,
  heartbeatAt: null,
  startedAt: null,
  finishedAt: null,
  output: null,
  error: null,
  endReason: null,
  createdAt: new Date(n),
});
const done = (r: StepRun, patch: Record<string, unknown> = {}, pauseReason: string | null = null): StepOutcome => ({
  kind: "completed", runId: r.id, instanceId: "i", stepKey: r.stepKey, attempt: r.attempt, output: null, contextPatch: patch, pauseReason,
});
const failed = (r: StepRun, maxAttempts: number): StepOutcome => ({
  kind: "failed", runId: r.id, instanceId: "i", stepKey: r.stepKey, attempt: r.attempt, error: "boom", maxAttempts, backoffMs: 100,
});
const running = { status: "running" as const, currentSteps: [] as string[] };

describe("planAdvance", () => {
  it("fans out when a step completes, and fans in only when every dependency is done", () => {
    const extract = run("extract", "running");
    const fanOut = planAdvance(running, specs, [extract], [done(extract, { rows: 3 })]);
    expect(fanOut.newRuns.map((r) => r.stepKey)).toEqual(["a", "b"]);
    expect(fanOut.contextPatch).toEqual({ rows: 3 });
    expect(fanOut.currentSteps).toEqual(["a", "b"]);

    const [e, a, b] = [run("extract", "completed"), run("a", "running"), run("b", "running")];
    const half = planAdvance(running, specs, [e, a, b], [done(a)]);
    expect(half.newRuns).toEqual([]);
    expect(half.currentSteps).toEqual(["b"]);
    const both = planAdvance(running, specs, [e, a, b], [done(a), done(b)]);
    expect(both.newRuns.map((r) => r.stepKey)).toEqual(["load"]);
  });

  it("completes the instance when the last step is done", () => {
    const runs = [run("extract", "completed"), run("a", "completed"), run("b", "completed"), run("load", "running")];
    const plan = planAdvance(running, specs, runs, [done(runs[3]!)]);
    expect(plan).toMatchObject({ complete: true, newRuns: [], currentSteps: [] });
  });

  it("retries with exponential backoff, then fails the instance when the attempts are spent", () => {
    const now = new Date(1_000_000);
    const first = run("extract", "running", 1);
    const retry = planAdvance(running, specs, [first], [failed(first, 3)], now);
    expect(retry.fail).toBeNull();
    expect(retry.newRuns).toEqual([{ stepKey: "extract", attempt: 2, availableAt: new Date(now.getTime() + 100) }]);
    expect(backoffDelay(100, 3)).toBe(400);
    const last = run("extract", "running", 3);
    const fail = planAdvance(running, specs, [last], [failed(last, 3)], now);
    expect(fail).toMatchObject({ fail: { stepKey: "extract", error: "extract: boom" }, newRuns: [] });
    expect(changesStatus(fail)).toBe(true);
  });

  it("reaches a gate only on a running instance, and only before the step's first run", () => {
    const gated: StepSpec[] = [{ key: "build", name: "Build", dependsOn: [] }, { key: "ship", name: "Ship", dependsOn: ["build"], gate: { stage: "ok", approvals: 1 } }];
    const build = run("build", "running");
    expect(planAdvance(running, gated, [build], [done(build)])).toMatchObject({ gates: ["ship"], newRuns: [], currentSteps: ["ship"] });
    // Paused: the gate waits for the resume (the engine reconciles then).
    expect(planAdvance({ status: "paused", currentSteps: [] }, gated, [build], [done(build)])).toMatchObject({ gates: [], newRuns: [] });
    // Already waiting at it: not requested twice.
    expect(planAdvance({ status: "waiting", currentSteps: ["ship"] }, gated, [run("build", "completed")], []).gates).toEqual([]);
  });

  it("queues a pauseBefore step and asks for a checkpoint pause; a programmatic pause is carried", () => {
    const cp: StepSpec[] = [{ key: "gen", name: "Gen", dependsOn: [] }, { key: "apply", name: "Apply", dependsOn: ["gen"], pauseBefore: true }];
    const gen = run("gen", "running");
    const plan = planAdvance(running, cp, [gen], [done(gen, {}, "High system load detected")]);
    expect(plan).toMatchObject({ checkpoint: "apply", newRuns: [{ stepKey: "apply", attempt: 1, availableAt: null }], pause: { reason: "High system load detected", stepKey: "gen" } });
    // Once queued (the run exists), resuming does not stop at the checkpoint again.
    expect(planAdvance(running, cp, [run("gen", "completed"), run("apply", "pending")], []).checkpoint).toBeNull();
  });

  it("carries a step's pause request and reaches a checkpoint whatever the status, except on an ended instance", () => {
    const cp: StepSpec[] = [{ key: "gen", name: "Gen", dependsOn: [] }, { key: "apply", name: "Apply", dependsOn: ["gen"], pauseBefore: true }];
    for (const status of ["paused", "waiting"] as const) {
      const gen = run("gen", "running");
      const plan = planAdvance({ status, currentSteps: ["gen"] }, cp, [gen], [done(gen, {}, "Replication lag 45s")]);
      expect(plan).toMatchObject({ checkpoint: "apply", newRuns: [{ stepKey: "apply" }], pause: { reason: "Replication lag 45s", stepKey: "gen" }, complete: false });
      expect(changesStatus(plan)).toBe(true);
    }
    const gen = run("gen", "running");
    expect(planAdvance({ status: "cancelled", currentSteps: [] }, cp, [gen], [done(gen, {}, "too late")])).toMatchObject({ checkpoint: null, pause: null });
    // The last step asking to pause: the instance completes, there is nothing left to hold.
    const last = run("apply", "running");
    expect(planAdvance(running, cp, [run("gen", "completed"), last], [done(last, {}, "done anyway")])).toMatchObject({ complete: true, pause: null });
  });

  it("counts the runs still in flight, for the drain", () => {
    const [e, a, b] = [run("extract", "completed"), run("a", "running"), run("b", "running")];
    expect(planAdvance({ status: "paused", currentSteps: ["a", "b"] }, specs, [e, a, b], [done(a)]).runningLeft).toBe(1);
    expect(planAdvance({ status: "paused", currentSteps: ["a", "b"] }, specs, [e, a, b], [done(a), done(b)]).runningLeft).toBe(0);
  });
});

describe("planRetry", () => {
  it("runs the failed step and the one the failure cancelled again, attempts counting on; completed steps stay done", () => {
    const runs = [run("extract", "completed"), run("a", "failed", 1), run("a", "failed", 2), run("b", "cancelled", 1)];
    const retry = planRetry(specs, runs);
    expect(retry.steps).toEqual([{ stepKey: "a", attempt: 3 }, { stepKey: "b", attempt: 2 }]);
    const plan = retry.plan({ status: "running", currentSteps: [] });
    expect(plan.newRuns.map((r) => [r.stepKey, r.attempt, r.availableAt])).toEqual([["a", 3, null], ["b", 2, null]]);
    expect(plan.currentSteps).toEqual(["a", "b"]);
    expect(plan.complete).toBe(false);
  });

  it("finds nothing to retry when no step failed (an instance that failed at a gate)", () => {
    const gated: StepSpec[] = [{ key: "extract", name: "Extract", dependsOn: [] }, { key: "ship", name: "Ship", dependsOn: ["extract"], gate: { stage: "prod" } }];
    const retry = planRetry(gated, [run("extract", "completed")]);
    expect(retry.steps).toEqual([]);
    expect(retry.plan({ status: "running", currentSteps: [] }).gates).toEqual(["ship"]);
  });

  it("leaves a branch the gate did not choose skipped: only the failed step on the chosen path runs again", () => {
    const runs = [run("extract", "completed"), run("a", "skipped"), run("b", "failed", 1)];
    const retry = planRetry(specs, runs);
    expect(retry.steps).toEqual([{ stepKey: "b", attempt: 2 }]);
    expect(retry.plan({ status: "running", currentSteps: [] }).newRuns.map((r) => r.stepKey)).toEqual(["b"]);
  });
});
