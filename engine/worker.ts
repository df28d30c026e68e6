import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type postgres from "postgres";
import type { Db } from "@/db/client";
import type { Instance } from "@/db/schema";
import { channels } from "@/lib/events";
import { reconcileInstance } from "./advance";
import { settleOutcomes, type KnownStates } from "./settle";
import { claimRuns, heartbeat, noteRanOn, type ClaimedRun } from "./claim";
import type { Definitions } from "./definitions";
import { runHookJob, takeHookJobs } from "./hooks";
import { sweepGates } from "@/lib/gates/sweep-gates";
import { timeOutDueInstances } from "@/lib/instances/time-out-instances";
import { reclaimExpiredLeases, releaseRuns, resumeDueInstances } from "./maintenance";
import type { StepOutcome } from "./plan";
import type { StepContext, WorkflowContext } from "./sdk";

/** How a worker behaves: from the environment in engine/config.ts, or set by a test or benchmark. */
export type WorkerSettings = {
  workerId: string;
  /** Steps executing at once. */
  concurrency: number;
  /** Most runs taken by one claim statement. */
  claimBatch: number;
  leaseMs: number;
  heartbeatMs: number;
  /** Fallback polling interval: claims, expired leases, scheduled resumes, due hooks. */
  pollMs: number;
  hookTimeoutMs: number;
  /** How long a graceful shutdown lets in-flight steps finish before handing them back. */
  shutdownGraceMs: number;
};

export type WorkerOptions = WorkerSettings & {
  db: Db;
  /** The pool behind `db`; LISTEN takes its own dedicated connection from it. */
  sql: postgres.Sql;
  definitions: Definitions;
  log: Logger;
};

/** Settle transactions in flight at once: enough to keep both the database and this process busy. */
const MAX_PARALLEL_SETTLES = 3;
/** Claim statements in flight at once. */
const MAX_PARALLEL_CLAIMS = 1;
/**
 * Longest a busy worker defers claiming to its own settles. A claim is the dearest statement the
 * worker sends (it walks the queue index and locks instance rows), so a busy worker claims seldom
 * and takes several runs at once: on the no-op benchmark at concurrency 10, 2, 5, 20 and 50 ms gave
 * about 2,400, 2,600, 4,200 and 4,900 steps/s. An idle worker claims at once.
 */
const CLAIM_STARVATION_MS = 50;

/** How long past its timeout a step may take to stop before it is said to have ignored its signal. */
const IGNORED_SIGNAL_MS = 100;

/** Why a step's signal was aborted; only a timeout turns into a failure. */
type AbortCause = "interrupted" | "lost" | "timeout" | "shutdown";

export class StepAbort extends Error {
  constructor(readonly cause: AbortCause, message: string) {
    super(message);
    this.name = "AbortError";
  }
}

type Execution = { run: ClaimedRun; controller: AbortController; abortedBy: AbortCause | null; done: boolean; timer?: NodeJS.Timeout; timedOutAt?: number; settled?: Promise<void> };

/**
 * One worker process's engine: claims runnable steps, runs them with bounded concurrency under
 * heartbeated leases, and records their outcomes. Woken by NOTIFY (`flowgate_wake` for new work,
 * `flowgate_control` for pauses and cancels), with polling only as a fallback.
 */
export class Worker {
  private executing = new Map<string, Execution>();
  private settling = new Set<string>();
  /** Outcomes waiting to be settled, each with how many successors it could start (its step's dependents). */
  private outcomes: { outcome: StepOutcome; fanOut: number }[] = [];
  /** What this worker's own settles last wrote of each running instance (see KnownState). */
  private known: KnownStates = new Map();
  private flushScheduled = false;
  private claimers = 0;
  private lastClaimAt = 0;
  private reserved = 0;
  private fillAgain = false;
  private settles = new Set<Promise<void>>();
  private settlesInFlight = 0;
  private hooksRunning = false;
  private hooksAgain = false;
  private stopping = false;
  private timers: NodeJS.Timeout[] = [];
  private listeners: { unlisten: () => Promise<void> }[] = [];
  private refusedResume = new Map<string, number>();
  private ticks = 0;
  private readonly log: Logger;

  constructor(private readonly o: WorkerOptions) {
    this.log = o.log.child({ workerId: o.workerId });
  }

  get inFlight(): number {
    return this.executing.size;
  }

  async start(): Promise<void> {
    await this.o.definitions.load(this.o.db);
    this.listeners.push(
      await this.o.sql.listen(channels.wake, (payload) => {
        this.fill();
        if (payload) void this.safely("reconcile", () => reconcileInstance(this.o.db, payload, this.specsOf));
        this.pokeHooks();
      }),
      await this.o.sql.listen(channels.control, (payload) => {
        void this.safely("control", () => this.checkOwnership(payload));
        this.pokeHooks();
      }),
    );
    this.timers.push(
      setInterval(() => void this.tick(), this.o.pollMs),
      setInterval(() => void this.safely("heartbeat", () => this.heartbeatAll()), this.o.heartbeatMs),
    );
    this.log.info({ concurrency: this.o.concurrency, definitions: this.o.definitions.ids().length }, "worker started");
    this.fill();
    this.pokeHooks();
    void this.tick();
  }

  /** Graceful stop: claim nothing new, let in-flight steps finish for a grace period, hand the rest back. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.listeners.map((l) => l.unlisten().catch(() => {})));
    const deadline = Date.now() + this.o.shutdownGraceMs;
    this.log.info({ inFlight: this.executing.size }, "stopping: finishing in-flight steps");
    // Leases stay fresh while we wait, or another worker would take the runs over mid-step.
    const beat = setInterval(() => void this.safely("heartbeat", () => this.heartbeatAll()), this.o.heartbeatMs);
    while (this.executing.size && Date.now() < deadline) await delay(25);
    const left = [...this.executing.values()];
    for (const exec of left) this.abort(exec, "shutdown", "The worker is shutting down");
    // Give aborted steps a moment to run their own cleanup (finally blocks, abort handlers).
    await Promise.race([Promise.allSettled(left.map((e) => e.settled)), delay(1_000)]);
    await this.drainOutcomes();
    clearInterval(beat);
    if (left.length) {
      const released = await releaseRuns(this.o.db, this.o.workerId, left.map((e) => ({ id: e.run.id, instanceId: e.run.instanceId })));
      this.log.info({ released }, "handed unfinished steps back");
    }
    this.log.info("worker stopped");
  }

  private specsOf = (instance: Instance) => this.o.definitions.known(instance.definitionId)?.specs;

  private async tick(): Promise<void> {
    if (this.stopping) return;
    this.ticks++;
    this.fill();
    await this.safely("leases", async () => {
      const { reclaimed, drained } = await reclaimExpiredLeases(this.o.db);
      if (reclaimed) this.log.warn({ reclaimed }, "reclaimed runs with expired leases");
      if (drained.length) this.pokeHooks();
    });
    await this.safely("scheduled resume", () =>
      resumeDueInstances(
        this.o.db,
        (id) => (this.refusedResume.get(id) ?? 0) > Date.now(),
        (id, message) => {
          // Retry later rather than every tick: a resume condition rarely clears in a second.
          this.refusedResume.set(id, Date.now() + 30_000);
          this.log.info({ instanceId: id, message }, "scheduled resume refused");
        },
      ),
    );
    // Approval and instance deadlines run on the engine's clock.
    await this.safely("gates", async () => {
      await sweepGates(this.o.db);
    });
    await this.safely("deadlines", async () => {
      const timedOut = await timeOutDueInstances(this.o.db);
      if (timedOut) this.log.info({ timedOut }, "instances timed out");
    });
    this.pokeHooks();
    // Missed notifications (a reconnecting LISTEN) leave running instances with nothing queued.
    if (this.ticks % 5 === 0) await this.safely("sweep", () => this.sweep());
  }

  private async sweep(): Promise<void> {
    const ids = this.o.definitions.ids();
    if (!ids.length) return;
    const stuck = await this.o.db.execute<{ id: string }>(sql`
      select i.id from instances i
      where i.status = 'running' and i.resources = 'held' and i.definition_id = any(${`{${ids.join(",")}}`}::uuid[])
        and not exists (select 1 from step_runs s where s.instance_id = i.id and s.status in ('pending', 'running'))
      limit 20`);
    for (const { id } of stuck) await reconcileInstance(this.o.db, id, this.specsOf);
  }

  /**
   * Claims while there are free slots and runnable steps, with up to MAX_PARALLEL_CLAIMS claim
   * statements in flight (SKIP LOCKED keeps them from waiting on each other). Slots are reserved
   * before a claim is sent, so parallel claims never take more than the concurrency allows.
   * A call while all claimers are busy is remembered and answered by one more round.
   */
  private fill(): void {
    if (this.stopping) return;
    this.fillAgain = true;
    // While outcomes are being settled, leave the free slots to them: the settle transaction starts
    // the successors itself (no claim round trip), and calls fill() again when it is done. But
    // claim at least every CLAIM_STARVATION_MS, so that work queued by others (new instances,
    // resumes) is not starved by a worker kept busy with its own successors.
    if ((this.settles.size || this.outcomes.length) && Date.now() - this.lastClaimAt < CLAIM_STARVATION_MS) return;
    while (this.claimers < MAX_PARALLEL_CLAIMS && this.freeSlots() > 0 && this.fillAgain) {
      this.fillAgain = false;
      this.claimers++;
      void this.claimLoop().finally(() => {
        this.claimers--;
        if (this.fillAgain) this.fill();
      });
    }
  }

  private freeSlots(): number {
    return this.o.concurrency - this.executing.size - this.reserved;
  }

  private async claimLoop(): Promise<void> {
    try {
      while (!this.stopping) {
        const want = Math.min(this.freeSlots(), this.o.claimBatch);
        if (want <= 0) return;
        this.reserved += want;
        this.lastClaimAt = Date.now();
        let runs: ClaimedRun[];
        try {
          runs = await claimRuns(this.o.sql, { workerId: this.o.workerId, limit: want, leaseMs: this.o.leaseMs, definitionIds: this.o.definitions.ids() });
        } finally {
          this.reserved -= want;
        }
        for (const run of runs) this.execute(run);
        // Fewer than asked: the queue is empty for now; a NOTIFY or the poll brings us back.
        if (runs.length < want) return;
      }
    } catch (error) {
      this.log.error({ err: error }, "claim failed");
    }
  }

  private execute(run: ClaimedRun): void {
    const controller = new AbortController();
    const parentLog = this.log;
    const exec: Execution = { run, controller, abortedBy: null, done: false };
    this.executing.set(run.id, exec);
    const known = this.o.definitions.known(run.definitionId);
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
        const owned = await heartbeat(this.o.sql, this.o.workerId, [run.id], this.o.leaseMs);
        if (!owned.has(run.id)) this.abort(exec, "lost", "This worker no longer owns the step run");
      },
      get log() {
        return (log ??= parentLog.child({ instanceId: run.instanceId, step: run.stepKey, attempt: run.attempt }));
      },
      pauseWorkflow: (reason) => {
        pauseReason = String(reason);
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
      .then(() => step.run(ctx))
      .finally(() => this.noteIgnoredTimeout(exec))
      .then(
        (output) => {
          const json = toJson(output);
          const context = toJson(patch);
          if (!json.ok || !context.ok) {
            this.finish(exec, { ...base, kind: "failed", error: `The step's ${json.ok ? "context update" : "result"} is not JSON`, maxAttempts, backoffMs });
          } else {
            this.finish(exec, { ...base, kind: "completed", output: json.value, contextPatch: context.value as WorkflowContext, pauseReason });
          }
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          this.finish(exec, { ...base, kind: "failed", error: message.slice(0, 2000) || "Step failed", maxAttempts, backoffMs });
        },
      );
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
    this.log.warn({ instanceId: exec.run.instanceId, step: exec.run.stepKey, attempt: exec.run.attempt, ranOnMs }, "a timed-out step ignored its abort signal and ran on");
    void this.safely("note ignored timeout", () => noteRanOn(this.o.sql, this.o.workerId, exec.run.id, ranOnMs));
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
    if (exec.abortedBy && exec.abortedBy !== "timeout") {
      this.fill();
      return;
    }
    this.settling.add(outcome.runId);
    this.outcomes.push({ outcome, fanOut: this.fanOut(exec.run, outcome) });
    this.scheduleFlush();
    this.fill();
  }

  /** The most successors settling this outcome can start: the steps that depend on its step (a retry is queued with a delay, never started). */
  private fanOut(run: ClaimedRun, outcome: StepOutcome): number {
    if (outcome.kind !== "completed") return 0;
    return this.o.definitions.known(run.definitionId)?.specs.filter((s) => s.dependsOn.includes(run.stepKey)).length ?? 0;
  }

  /**
   * Outcomes are settled from setImmediate, not at once: steps that end in the same turn of the
   * event loop (a batch started together, no-op or cached steps) then share one transaction
   * instead of the first taking a transaction to itself.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /**
   * Settles queued outcomes in batches, a few transactions at once: everything that finished while
   * the previous batches were being written goes in the next. Parallel batches touch disjoint runs;
   * when they share an instance they serialise on its row lock, taken in id order (no deadlock).
   */
  private flush(): void {
    while (this.settlesInFlight < MAX_PARALLEL_SETTLES && this.outcomes.length) {
      const batch = this.outcomes.splice(0, Math.max(16, Math.ceil(this.outcomes.length / (MAX_PARALLEL_SETTLES - this.settlesInFlight))));
      this.settlesInFlight++;
      const settle = this.settleBatch(batch);
      this.settles.add(settle);
      void settle.then(() => {
        this.settles.delete(settle);
        this.settlesInFlight--;
        // Successors were queued: claim them here rather than wait for our own NOTIFY.
        this.flush();
        this.fill();
      });
    }
  }

  /** Never rejects: a batch that cannot be recorded is logged and left to lease expiry. */
  private async settleBatch(queued: { outcome: StepOutcome; fanOut: number }[]): Promise<void> {
    const batch = queued.map((q) => q.outcome);
    // Successors may be started right in the settle transaction, into slots reserved for them now:
    // as many as the batch can start, so that a parallel batch or a claim gets the other slots.
    const fanOut = queued.reduce((n, q) => n + q.fanOut, 0);
    const startLimit = this.stopping ? 0 : Math.max(0, Math.min(fanOut, this.freeSlots()));
    this.reserved += startLimit;
    try {
      const result = await settleOutcomes(this.o, this.o.workerId, batch, this.specsOf, { startLimit, leaseMs: this.o.leaseMs }, this.known);
      this.reserved -= startLimit;
      for (const run of result.started) this.execute(run);
      if (result.failure) this.log.error({ err: result.failure, runs: batch.map((o) => o.runId) }, "could not record some step outcomes; their leases will expire and they run again");
      if (result.discarded) this.log.debug({ discarded: result.discarded }, "discarded results of runs no longer ours");
      if (result.drained.length) this.pokeHooks();
    } catch (error) {
      // Left running in the database: the lease expires and the step runs again (at least once).
      this.reserved -= startLimit;
      this.log.error({ err: error, runs: batch.map((o) => o.runId) }, "could not record step outcomes");
    } finally {
      for (const o of batch) this.settling.delete(o.runId);
    }
  }

  private async drainOutcomes(): Promise<void> {
    while (this.settles.size || this.outcomes.length) {
      this.flush();
      await Promise.all([...this.settles]);
    }
  }

  /** A control notification: abort local steps of the instance whose runs are no longer running under this worker. */
  private async checkOwnership(instanceId: string): Promise<void> {
    // Paused or cancelled: what this worker knew of it is out of date (the row version says so
    // too, but forgetting it now saves a round trip that would only find that out).
    this.known.delete(instanceId);
    const local = [...this.executing.values()].filter((e) => e.run.instanceId === instanceId);
    if (!local.length) return;
    const owned = await heartbeat(this.o.sql, this.o.workerId, local.map((e) => e.run.id), this.o.leaseMs);
    for (const exec of local) if (!owned.has(exec.run.id)) this.abort(exec, "interrupted", "The step run was interrupted (immediate pause or cancel)");
  }

  private async heartbeatAll(): Promise<void> {
    const ids = [...this.executing.keys(), ...this.settling];
    if (!ids.length) return;
    const owned = await heartbeat(this.o.sql, this.o.workerId, ids, this.o.leaseMs);
    for (const exec of this.executing.values()) if (!owned.has(exec.run.id)) this.abort(exec, "lost", "This worker no longer owns the step run");
  }

  /** Runs due lifecycle hooks until none is left; calls while running coalesce into one more pass. */
  private pokeHooks(): void {
    const keys = this.o.definitions.hookedKeys();
    if (!keys.length || this.stopping) return;
    if (this.hooksRunning) {
      this.hooksAgain = true;
      return;
    }
    this.hooksRunning = true;
    void (async () => {
      try {
        do {
          this.hooksAgain = false;
          for (;;) {
            const jobs = await takeHookJobs(this.o.db, { workerId: this.o.workerId, workflowKeys: keys, leaseMs: this.o.hookTimeoutMs * 2, limit: 10 });
            if (!jobs.length) break;
            await Promise.all(
              jobs.map((job) =>
                runHookJob(this.o.db, job, this.o.definitions.known(job.instance.definitionId)?.workflow, { workerId: this.o.workerId, timeoutMs: this.o.hookTimeoutMs, log: this.log }),
              ),
            );
          }
        } while (this.hooksAgain && !this.stopping);
      } catch (error) {
        this.log.error({ err: error }, "lifecycle hooks failed");
      } finally {
        this.hooksRunning = false;
      }
    })();
  }

  private async safely<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      if (!this.stopping) this.log.error({ err: error }, `${what} failed`);
      return undefined;
    }
  }
}

function toJson(value: unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) };
  } catch {
    return { ok: false };
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
