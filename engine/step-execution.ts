import type { Logger } from "pino";
import type { Definitions } from "./definitions";
import type { StepOutcome } from "@/lib/instances/lifecycle/plan";
import type { Sql } from "./prepared";
import type { StepContext, WorkflowContext } from "@/lib/workflows/sdk";
import type { ClaimedRun } from "./sql/claim-runs";
import { gateOutcome } from "./sql/gate-outcome";
import { heartbeat } from "./sql/heartbeat";
import { insertStepLog } from "./sql/insert-step-log";
import { noteRanOn } from "./sql/note-ran-on";
import { capturingLogger, StepLogBuffer } from "./step-logs";
import { clipText, storableText } from "@/lib/text";

/** How long past its timeout a step may take to stop before it is said to have ignored its signal. */
const IGNORED_SIGNAL_MS = 100;

/** Why a step's signal was aborted; only a timeout turns into a failure. */
export type AbortCause = "interrupted" | "lost" | "timeout" | "shutdown";

/** The reason a step's `ctx.signal` is aborted with; `cause` says why. */
export class StepAbort extends Error {
  constructor(readonly cause: AbortCause, message: string) {
    super(message);
    this.name = "AbortError";
  }
}

type Execution = { run: ClaimedRun; controller: AbortController; abortedBy: AbortCause | null; done: boolean; timer?: NodeJS.Timeout; timedOutAt?: number; settled?: Promise<void>; logs?: StepLogBuffer };

export type StepExecutionsOptions = {
  workerId: string;
  /** The worker's prepared-statement pool (heartbeats, notes on timed-out runs). */
  sql: Sql;
  /** Lease length set by a step's own `ctx.heartbeat()`, in milliseconds. */
  leaseMs: number;
  definitions: Definitions;
  log: Logger;
  /**
   * Called once per run when its step is over for this worker: with its outcome to record, or
   * with null when the run is no longer ours (interrupted, lost, handed back) and its result is
   * discarded. Its slot is free by then.
   */
  onFinished: (run: ClaimedRun, outcome: StepOutcome | null) => void;
  /** Runs a background chore and logs its failure instead of throwing (see engine/safely.ts). */
  safely: <T>(what: string, fn: () => Promise<T>) => Promise<T | undefined>;
};

/**
 * The steps this worker is running: each claimed run's `run(ctx)` called with its context,
 * signal, timeout and heartbeat, and its outcome handed to `onFinished`. Owns the AbortControllers:
 * a run is aborted when it times out, when it was interrupted or lost (see abortUnowned), or at
 * shutdown.
 */
export class StepExecutions {
  private readonly executing = new Map<string, Execution>();

  constructor(private readonly options: StepExecutionsOptions) {}

  /** Steps running now (each holds a slot). */
  get size(): number {
    return this.executing.size;
  }

  /** Ids of the runs being executed. */
  runIds(): string[] {
    return [...this.executing.keys()];
  }

  /** Starts the step of a run this worker holds; returns at once (the step runs in the background). */
  start(run: ClaimedRun): void {
    const controller = new AbortController();
    const parentLog = this.options.log;
    const exec: Execution = { run, controller, abortedBy: null, done: false };
    this.executing.set(run.id, exec);
    const known = this.options.definitions.known(run.definitionId);
    const step = known?.workflow.steps[run.stepKey];
    const spec = known?.specs.find((s) => s.key === run.stepKey);
    const base = { runId: run.id, instanceId: run.instanceId, stepKey: run.stepKey, attempt: run.attempt };
    const maxAttempts = (spec?.retries ?? step?.retries ?? 0) + 1;
    const backoffMs = step?.backoffMs ?? 1000;
    if (!known || !step) {
      this.finish(exec, { ...base, kind: "failed", error: `No code for step "${run.stepKey}" in this worker's catalog`, maxAttempts: 1, backoffMs });
      return;
    }

    const patch: WorkflowContext = {};
    let pauseReason: string | null = null;
    // The logger and the context copy are made on first use: most steps touch neither, and at
    // thousands of steps a second their cost shows.
    let log: Logger | undefined;
    let context: WorkflowContext | undefined;
    let gate: StepContext<unknown>["gate"] = null;
    const ctx: StepContext<unknown> = {
      instanceId: run.instanceId,
      stepKey: run.stepKey,
      attempt: run.attempt,
      input: run.input,
      get context() {
        return (context ??= Object.freeze(structuredClone(run.context)));
      },
      updateContext: (p) => void Object.assign(patch, p),
      signal: controller.signal,
      heartbeat: async () => {
        const owned = await heartbeat(this.options.sql, this.options.workerId, [run.id], this.options.leaseMs);
        if (!owned.has(run.id)) this.abort(exec, "lost", "This worker no longer owns the step run");
      },
      // Also kept per run for the instance page (engine/step-logs.ts), stored when the run ends.
      get log() {
        return (log ??= capturingLogger(parentLog.child({ instanceId: run.instanceId, step: run.stepKey, attempt: run.attempt }), (exec.logs = new StepLogBuffer())));
      },
      pauseWorkflow: (reason) => {
        pauseReason = String(reason);
      },
      get gate() {
        return gate;
      },
    };
    const timeoutMs = spec?.timeoutMs ?? step.timeoutMs;
    if (timeoutMs) {
      exec.timer = setTimeout(() => {
        exec.timedOutAt = Date.now();
        this.abort(exec, "timeout", `Timed out after ${timeoutMs} ms`);
        // A step that ignores its signal keeps running in the background, but its slot and its
        // result are given up now: the timeout is what the workflow author asked for.
        this.finish(exec, { ...base, kind: "failed", error: `Timed out after ${timeoutMs} ms`, maxAttempts, backoffMs });
      }, timeoutMs);
    }

    exec.settled = Promise.resolve()
      // Only a gated step reads its gate: one query, before its code runs (a failure fails the attempt, which retries).
      .then(async () => {
        if (spec?.gate) gate = await gateOutcome(this.options.sql, run.instanceId, run.stepKey);
        return step.run(ctx);
      })
      .finally(() => this.noteIgnoredTimeout(exec))
      .then(
        (output) => {
          const json = toJson(output);
          const context = toJson(patch);
          if (!json.ok || !context.ok) {
            this.finish(exec, { ...base, kind: "failed", error: `The step's ${json.ok ? "context update" : "result"} is not storable JSON (not JSON, or a string with NUL or half a surrogate pair)`, maxAttempts, backoffMs });
          } else {
            this.finish(exec, { ...base, kind: "completed", output: json.value, contextPatch: context.value as WorkflowContext, pauseReason });
          }
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.finish(exec, { ...base, kind: "failed", error: clipText(message, 2000) || "Step failed", maxAttempts, backoffMs });
        },
      );
  }

  /**
   * Re-checks which of this worker's runs of the instance it still owns (a control notification:
   * an immediate pause or a cancel) and aborts the others as `interrupted`. One heartbeat
   * statement, only when a run of the instance is executing here.
   */
  async checkOwnership(instanceId: string): Promise<void> {
    const local = [...this.executing.values()].filter((e) => e.run.instanceId === instanceId);
    if (!local.length) return;
    const owned = await heartbeat(this.options.sql, this.options.workerId, local.map((e) => e.run.id), this.options.leaseMs);
    for (const exec of local) if (!owned.has(exec.run.id)) this.abort(exec, "interrupted", "The step run was interrupted (immediate pause or cancel)");
  }

  /** Aborts, as lost, every executing run not in `owned` (the ids a heartbeat found still this worker's). */
  abortUnowned(owned: Set<string>): void {
    for (const exec of this.executing.values()) if (!owned.has(exec.run.id)) this.abort(exec, "lost", "This worker no longer owns the step run");
  }

  /**
   * Shutdown: aborts every run still executing and returns them (to be handed back), with a
   * promise that settles when their steps have returned (or ignored the signal).
   */
  abortAll(message: string): { runs: ClaimedRun[]; returned: Promise<unknown> } {
    const left = [...this.executing.values()];
    for (const exec of left) this.abort(exec, "shutdown", message);
    return { runs: left.map((e) => e.run), returned: Promise.allSettled(left.map((e) => e.settled)) };
  }

  /**
   * JavaScript cannot stop a function that does not listen to its signal: a step that ignores its
   * timeout runs on, its slot given back and its result discarded. When it does end, its failed
   * run says for how long it ran on, so the operator sees a step that needs to honour ctx.signal.
   */
  private noteIgnoredTimeout(exec: Execution): void {
    if (exec.timedOutAt === undefined) return;
    const ranOnMs = Date.now() - exec.timedOutAt;
    // Steps that stop within a moment of their signal did listen to it.
    if (ranOnMs < IGNORED_SIGNAL_MS) return;
    this.options.log.warn({ instanceId: exec.run.instanceId, step: exec.run.stepKey, attempt: exec.run.attempt, ranOnMs }, "a timed-out step ignored its abort signal and ran on");
    void this.options.safely("note ignored timeout", () => noteRanOn(this.options.sql, this.options.workerId, exec.run.id, ranOnMs));
  }

  private abort(exec: Execution, cause: AbortCause, message: string): void {
    if (exec.abortedBy || exec.done) return;
    exec.abortedBy = cause;
    exec.controller.abort(new StepAbort(cause, message));
  }

  private finish(exec: Execution, outcome: StepOutcome): void {
    if (exec.done) return;
    exec.done = true;
    clearTimeout(exec.timer);
    this.executing.delete(exec.run.id);
    // Interrupted (immediate pause, cancel), lost or handed back at shutdown: the run is no longer
    // ours and whatever the step produced is discarded. It will run again from its start.
    const discarded = exec.abortedBy !== null && exec.abortedBy !== "timeout";
    this.options.onFinished(exec.run, discarded ? null : outcome);
    // Beside the settle, not in it: the lines are for reading, and must not slow the transition.
    const logs = exec.logs;
    if (logs?.lines.length) void this.options.safely("store step log", () => insertStepLog(this.options.sql, { id: exec.run.id, instanceId: exec.run.instanceId }, logs.lines, logs.dropped));
  }
}

/**
 * A step's result or context update as the JSON that will be stored, or not ok when it is not
 * JSON, or holds a string PostgreSQL's jsonb refuses (NUL, half a surrogate pair): such a value
 * would fail the settle statement itself, so the step fails instead, with a message saying why.
 */
function toJson(value: unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    const json: unknown = value === undefined ? null : JSON.parse(JSON.stringify(value));
    return storableJson(json) ? { ok: true, value: json } : { ok: false };
  } catch {
    return { ok: false };
  }
}

/** Every string in a JSON value, keys included, is one jsonb can store (storableText leaves it as it is). */
function storableJson(value: unknown): boolean {
  if (typeof value === "string") return storableText(value) === value;
  if (Array.isArray(value)) return value.every(storableJson);
  if (value && typeof value === "object") return Object.entries(value).every(([k, v]) => storableText(k) === k && storableJson(v));
  return true;
}
