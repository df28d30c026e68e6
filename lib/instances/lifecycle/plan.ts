import type { Instance, StepRun, StepSpec } from "@/db/schema";
import { isTerminal } from "@/lib/state-machine";

/** What a worker reports when a step's `run` settles (interruptions are never reported: the command that interrupted the run already recorded it). */
export type StepOutcome =
  | {
      kind: "completed";
      runId: string;
      instanceId: string;
      stepKey: string;
      attempt: number;
      output: unknown;
      contextPatch: Record<string, unknown>;
      /** Set when the step called `pauseWorkflow(reason)`. */
      pauseReason: string | null;
    }
  | {
      kind: "failed";
      runId: string;
      instanceId: string;
      stepKey: string;
      attempt: number;
      error: string;
      /** 1 + the step's retries. */
      maxAttempts: number;
      backoffMs: number;
    };

export type Plan = {
  finished: { runId: string; status: "completed" | "failed"; output: unknown; error: string | null }[];
  newRuns: { stepKey: string; attempt: number; availableAt: Date | null }[];
  contextPatch: Record<string, unknown>;
  currentSteps: string[];
  /** Gated steps reached now: the instance waits for their approval. */
  gates: string[];
  /** A `pauseBefore` step queued now: the instance pauses before it (a checkpoint), whatever its status. */
  checkpoint: string | null;
  /** A step asked to pause its workflow; carried whatever the instance's status (applyEnginePause decides what it does). */
  pause: { reason: string; stepKey: string } | null;
  complete: boolean;
  fail: { stepKey: string; error: string } | null;
  /** Runs still running once this plan is applied; 0 on a paused instance means it is fully paused. */
  runningLeft: number;
};

/** A plan that moves the instance between statuses needs the instance row `FOR UPDATE`, so that no claim can race it. */
export const changesStatus = (p: Plan): boolean => p.gates.length > 0 || p.checkpoint !== null || p.pause !== null || p.complete || p.fail !== null;

export const isNoop = (p: Plan): boolean => !p.finished.length && !p.newRuns.length && !changesStatus(p);

/** Exponential backoff: base, 2×base, 4×base, … capped at ten minutes. */
export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 600_000);
}

/**
 * Decides, without touching the database, what the outcomes mean for an instance: which runs
 * end how, what the context becomes, which steps are now ready and what happens to the status.
 * `runs` are all runs of the instance as read under the instance lock, `outcomes` only those the
 * caller verified it still owns. Pure, so the rules can be read (and tested) in one place.
 */
export function planAdvance(instance: Pick<Instance, "status" | "currentSteps">, specs: StepSpec[], runs: Pick<StepRun, "id" | "stepKey" | "status">[], outcomes: StepOutcome[], now = new Date()): Plan {
  const plan: Plan = { finished: [], newRuns: [], contextPatch: {}, currentSteps: [], gates: [], checkpoint: null, pause: null, complete: false, fail: null, runningLeft: 0 };
  const settledIds = new Set(outcomes.map((o) => o.runId));
  const hasRuns = new Set(runs.map((r) => r.stepKey));
  // A skipped step (a branch its gate did not take) counts as done: nothing queues it, a join
  // after it runs once its other dependencies are done, and the instance completes without it.
  const completed = new Set(runs.filter((r) => r.status === "completed" || r.status === "skipped").map((r) => r.stepKey));
  const live = new Set(runs.filter((r) => (r.status === "pending" || r.status === "running") && !settledIds.has(r.id)).map((r) => r.stepKey));
  plan.runningLeft = runs.filter((r) => r.status === "running" && !settledIds.has(r.id)).length;

  for (const o of outcomes) {
    if (o.kind === "completed") {
      plan.finished.push({ runId: o.runId, status: "completed", output: o.output, error: null });
      completed.add(o.stepKey);
      Object.assign(plan.contextPatch, o.contextPatch);
      if (o.pauseReason !== null && !plan.pause) plan.pause = { reason: o.pauseReason, stepKey: o.stepKey };
    } else if (o.attempt < o.maxAttempts) {
      plan.finished.push({ runId: o.runId, status: "failed", output: null, error: o.error });
      plan.newRuns.push({ stepKey: o.stepKey, attempt: o.attempt + 1, availableAt: new Date(now.getTime() + backoffDelay(o.backoffMs, o.attempt)) });
      live.add(o.stepKey);
    } else {
      plan.finished.push({ runId: o.runId, status: "failed", output: null, error: o.error });
      plan.fail ??= { stepKey: o.stepKey, error: `${o.stepKey}: ${o.error}` };
    }
  }
  if (plan.fail) {
    plan.pause = null;
    plan.newRuns = [];
    return plan;
  }

  const specOf = new Map(specs.map((s) => [s.key, s]));
  // A gated step the instance already waits at: requested earlier, never run yet.
  const atGate = new Set(instance.currentSteps.filter((k) => specOf.get(k)?.gate && !hasRuns.has(k)));
  const running = instance.status === "running";
  // Outcomes of an ended instance are discarded before planning (its runs were cancelled); should
  // one get here, it reaches no checkpoint and carries no pause request.
  const ended = isTerminal(instance.status);
  for (const spec of specs) {
    if (completed.has(spec.key) || live.has(spec.key) || atGate.has(spec.key)) continue;
    if (!spec.dependsOn.every((d) => completed.has(d))) continue;
    // The gate is asked once, before the step's first run; retries and reruns do not ask again.
    if (spec.gate && !hasRuns.has(spec.key)) {
      // A paused instance reaches its gates after resume (the engine reconciles it then).
      if (running || instance.status === "waiting") plan.gates.push(spec.key);
      continue;
    }
    if (spec.pauseBefore && !hasRuns.has(spec.key)) {
      // Unlike a gate, a checkpoint is reached whatever the status, like a step's pause request:
      // a waiting instance pauses from there, a paused one records it (see applyEnginePause).
      if (ended) continue;
      plan.checkpoint ??= spec.key;
    }
    plan.newRuns.push({ stepKey: spec.key, attempt: 1, availableAt: null });
  }

  const queued = new Set(plan.newRuns.map((r) => r.stepKey));
  plan.complete = running && specs.every((s) => completed.has(s.key));
  // A step's pause request is carried whatever the status (DESIGN invariant 11); the writer
  // decides what it means for a running, waiting or paused instance. Only completion (nothing
  // left to hold) and an ended instance drop it.
  if (plan.complete || ended) plan.pause = null;
  plan.currentSteps = specs
    .filter((s) => !completed.has(s.key) && (live.has(s.key) || queued.has(s.key) || atGate.has(s.key) || plan.gates.includes(s.key)))
    .map((s) => s.key);
  return plan;
}

/**
 * The steps an instance goes to next when none is current: not completed, every dependency
 * completed (the planner's own test above, without runs or gates). Shown for a paused instance
 * whose next step is a gate, which it asks only after resume, so it has no current step.
 */
export function readySteps(specs: Pick<StepSpec, "key" | "dependsOn">[], completedKeys: readonly string[]): string[] {
  const completed = new Set(completedKeys);
  return specs.filter((s) => !completed.has(s.key) && s.dependsOn.every((d) => completed.has(d))).map((s) => s.key);
}

/** What a retry of a failed instance does (retryInstance): the steps it runs again, and the plan that queues them. */
export type RetryPlan = {
  /** Steps that ran and neither completed nor have a live run: the failed one(s), and any the failure cancelled. */
  steps: { stepKey: string; attempt: number }[];
  /** The plan for the instance once it is running again: planAdvance's, each run's attempt counting on from the step's last. */
  plan: (running: Pick<Instance, "status" | "currentSteps">) => Plan;
};

/**
 * Decides, without touching the database, what retrying a failed instance runs: every step with
 * runs but no completed, skipped or live one gets a new run numbered after its last attempt; completed steps
 * stay done; steps never reached follow the usual rules (planAdvance), so gates are asked and
 * checkpoints reached only where they had never been. `runs` are all runs of the instance, oldest first.
 */
export function planRetry(specs: StepSpec[], runs: Pick<StepRun, "id" | "stepKey" | "status" | "attempt">[]): RetryPlan {
  const lastAttempt = new Map<string, number>();
  for (const r of runs) lastAttempt.set(r.stepKey, Math.max(lastAttempt.get(r.stepKey) ?? 0, r.attempt));
  // A skipped run is a branch the gate decided against: settled, never run by a retry.
  const settled = new Set(runs.filter((r) => r.status === "completed" || r.status === "skipped" || r.status === "pending" || r.status === "running").map((r) => r.stepKey));
  const steps = specs.filter((s) => lastAttempt.has(s.key) && !settled.has(s.key)).map((s) => ({ stepKey: s.key, attempt: lastAttempt.get(s.key)! + 1 }));
  const plan = (running: Pick<Instance, "status" | "currentSteps">) => {
    const p = planAdvance({ status: running.status, currentSteps: [] }, specs, runs, []);
    return { ...p, newRuns: p.newRuns.map((r) => ({ ...r, attempt: (lastAttempt.get(r.stepKey) ?? 0) + 1 })) };
  };
  return { steps, plan };
}
