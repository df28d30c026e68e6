import type { Logger } from "pino";
import type postgres from "postgres";
import type { Db } from "@/db/client";
import type { Instance } from "@/db/schema";
import { channels } from "@/lib/events";
import { reconcileInstance } from "@/lib/instances/lifecycle/advance";
import { Chores } from "./chores";
import type { Definitions } from "./definitions";
import { releaseRuns } from "./maintenance";
import { OutcomeQueue, type Slots } from "./outcome-queue";
import { safelyWith, type Safely } from "./safely";
import { claimRuns, type ClaimedRun } from "./sql/claim-runs";
import { heartbeat } from "./sql/heartbeat";
import { StepExecutions } from "./step-execution";

/** How a worker behaves: from the environment in engine/config.ts, or set by a test or benchmark. */
export type WorkerSettings = {
  workerId: string;
  /** Steps executing at once. */
  concurrency: number;
  /** Most runs taken by one claim statement. */
  claimBatch: number;
  /** A run not heartbeated for this long (ms) is taken back and run again. */
  leaseMs: number;
  /** How often (ms) the worker extends the leases of its runs. */
  heartbeatMs: number;
  /** Fallback polling interval (ms): claims, expired leases, scheduled resumes, due hooks. */
  pollMs: number;
  /** onPause / onResume time limit (ms). */
  hookTimeoutMs: number;
  /** How long (ms) a graceful shutdown lets in-flight steps finish before handing them back. */
  shutdownGraceMs: number;
};

export type WorkerOptions = WorkerSettings & {
  db: Db;
  /** The pool behind `db`; LISTEN takes its own dedicated connection from it. */
  sql: postgres.Sql;
  definitions: Definitions;
  log: Logger;
};

/** Claim statements in flight at once. */
const MAX_PARALLEL_CLAIMS = 1;
/**
 * Longest a busy worker defers claiming to its own settles. A claim is the dearest statement the
 * worker sends (it walks the queue index and locks instance rows), so a busy worker claims seldom
 * and takes several runs at once; an idle worker claims at once. Why 50 ms: BENCHMARKS.md, "What
 * moved the engine's throughput".
 */
const CLAIM_STARVATION_MS = 50;

/**
 * One worker process's engine: claims runnable steps into its free slots and hands them to
 * StepExecutions (engine/step-execution.ts), whose outcomes the OutcomeQueue records
 * (engine/outcome-queue.ts); Chores (engine/chores.ts) run on the poll timer. Woken by NOTIFY
 * (`flowgate_wake` for new work, `flowgate_control` for pauses and cancels), with polling only as
 * a fallback. This class keeps start and stop, the slots, and fill().
 */
export class Worker {
  private readonly executions: StepExecutions;
  private readonly outcomes: OutcomeQueue;
  private readonly chores: Chores;
  private readonly safely: Safely;
  private claimers = 0;
  private lastClaimAt = 0;
  /** Slots held for runs about to start: a claim in flight, successors a settle may start. */
  private reserved = 0;
  private fillAgain = false;
  private stopping = false;
  private timers: NodeJS.Timeout[] = [];
  private listeners: { unlisten: () => Promise<void> }[] = [];
  private readonly log: Logger;

  constructor(private readonly options: WorkerOptions) {
    this.log = options.log.child({ workerId: options.workerId });
    const isStopping = () => this.stopping;
    this.safely = safelyWith(this.log, isStopping);
    const slots: Slots = {
      free: () => this.freeSlots(),
      reserve: (n) => void (this.reserved += n),
      release: (n) => void (this.reserved -= n),
    };
    this.executions = new StepExecutions({
      workerId: options.workerId,
      sql: options.sql,
      leaseMs: options.leaseMs,
      definitions: options.definitions,
      log: this.log,
      safely: this.safely,
      onFinished: (run, outcome) => {
        if (outcome) this.outcomes.add(run, outcome);
        this.fill();
      },
    });
    this.outcomes = new OutcomeQueue({
      db: options.db,
      sql: options.sql,
      workerId: options.workerId,
      leaseMs: options.leaseMs,
      definitions: options.definitions,
      specsOf: this.specsOf,
      slots,
      stopping: isStopping,
      execute: (run) => this.executions.start(run),
      fill: () => this.fill(),
      drained: () => this.chores.pokeHooks(),
      log: this.log,
    });
    this.chores = new Chores({
      db: options.db,
      workerId: options.workerId,
      definitions: options.definitions,
      hookTimeoutMs: options.hookTimeoutMs,
      specsOf: this.specsOf,
      stopping: isStopping,
      safely: this.safely,
      log: this.log,
    });
  }

  /** Steps executing in this process now. */
  get inFlight(): number {
    return this.executions.size;
  }

  /** Loads the definitions, listens for notifications, starts the timers, and claims. */
  async start(): Promise<void> {
    const { db, sql, definitions } = this.options;
    await definitions.load(db);
    this.listeners.push(
      await sql.listen(channels.wake, (payload) => {
        this.fill();
        if (payload) void this.safely("reconcile", () => reconcileInstance(db, payload, this.specsOf));
        this.chores.pokeHooks();
      }),
      await sql.listen(channels.control, (payload) => {
        // Paused or cancelled: what this worker knew of it is out of date (the row version says so
        // too, but forgetting it now saves a round trip that would only find that out).
        this.outcomes.forget(payload);
        void this.safely("control", () => this.executions.checkOwnership(payload));
        this.chores.pokeHooks();
      }),
    );
    this.timers.push(
      setInterval(() => void this.tick(), this.options.pollMs),
      setInterval(() => void this.safely("heartbeat", () => this.heartbeatAll()), this.options.heartbeatMs),
    );
    this.log.info({ concurrency: this.options.concurrency, definitions: definitions.ids().length }, "worker started");
    this.fill();
    this.chores.pokeHooks();
    void this.tick();
  }

  /** Graceful stop: claim nothing new, let in-flight steps finish for a grace period, hand the rest back. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all(this.listeners.map((l) => l.unlisten().catch(() => {})));
    const deadline = Date.now() + this.options.shutdownGraceMs;
    this.log.info({ inFlight: this.executions.size }, "stopping: finishing in-flight steps");
    // Leases stay fresh while we wait, or another worker would take the runs over mid-step.
    const beat = setInterval(() => void this.safely("heartbeat", () => this.heartbeatAll()), this.options.heartbeatMs);
    while (this.executions.size && Date.now() < deadline) await delay(25);
    const left = this.executions.abortAll("The worker is shutting down");
    // Give aborted steps a moment to run their own cleanup (finally blocks, abort handlers).
    await Promise.race([left.returned, delay(1_000)]);
    await this.outcomes.drain();
    clearInterval(beat);
    if (left.runs.length) {
      const released = await releaseRuns(this.options.db, this.options.workerId, left.runs.map((r) => ({ id: r.id, instanceId: r.instanceId })));
      this.log.info({ released }, "handed unfinished steps back");
    }
    this.log.info("worker stopped");
  }

  private specsOf = (instance: Instance) => this.options.definitions.known(instance.definitionId)?.specs;

  private async tick(): Promise<void> {
    if (this.stopping) return;
    this.fill();
    await this.chores.tick();
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
    if (this.outcomes.busy && Date.now() - this.lastClaimAt < CLAIM_STARVATION_MS) return;
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
    return this.options.concurrency - this.executions.size - this.reserved;
  }

  private async claimLoop(): Promise<void> {
    const { sql, workerId, claimBatch, leaseMs, definitions } = this.options;
    try {
      while (!this.stopping) {
        const want = Math.min(this.freeSlots(), claimBatch);
        if (want <= 0) return;
        this.reserved += want;
        this.lastClaimAt = Date.now();
        let runs: ClaimedRun[];
        try {
          runs = await claimRuns(sql, { workerId, limit: want, leaseMs, definitionIds: definitions.ids() });
        } finally {
          this.reserved -= want;
        }
        for (const run of runs) this.executions.start(run);
        // Fewer than asked: the queue is empty for now; a NOTIFY or the poll brings us back.
        if (runs.length < want) return;
      }
    } catch (error) {
      this.log.error({ err: error }, "claim failed");
    }
  }

  /** Extends the leases of every run this worker executes or has yet to record; aborts those it lost. */
  private async heartbeatAll(): Promise<void> {
    const ids = [...this.executions.runIds(), ...this.outcomes.settlingIds()];
    if (!ids.length) return;
    const owned = await heartbeat(this.options.sql, this.options.workerId, ids, this.options.leaseMs);
    this.executions.abortUnowned(owned);
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
