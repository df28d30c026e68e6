import type { Logger } from "pino";
import type { Db } from "@/db/client";
import type { Instance, StepSpec } from "@/db/schema";
import type { Definitions } from "./definitions";
import type { KnownStates } from "./known-states";
import type { StepOutcome } from "@/lib/instances/lifecycle/plan";
import type { Sql } from "./prepared";
import { settleOutcomes } from "./settle";
import type { ClaimedRun } from "./sql/claim-runs";

/** Settle transactions in flight at once: enough to keep both the database and this process busy. */
const MAX_PARALLEL_SETTLES = 3;

/** The worker's slot accounting, shared by claims and settles (see Worker). */
export type Slots = {
  /** Slots neither executing a step nor reserved. */
  free(): number;
  /** Holds `n` slots for runs about to start (a claim in flight, successors a settle may start). */
  reserve(n: number): void;
  /** Gives back `n` reserved slots. */
  release(n: number): void;
};

export type OutcomeQueueOptions = {
  db: Db;
  sql: Sql;
  workerId: string;
  /** Lease of the successors a settle starts itself, in milliseconds. */
  leaseMs: number;
  definitions: Definitions;
  specsOf: (instance: Instance) => StepSpec[] | undefined;
  slots: Slots;
  /** True once the worker stops: settles then start no successor. */
  stopping: () => boolean;
  /** Executes a successor run a settle started in this worker's reserved slot. */
  execute: (run: ClaimedRun) => void;
  /** After each settle: claim into the slots it left (successors were queued). */
  fill: () => void;
  /** Some instance became fully paused: its onPause hook may be due. */
  drained: () => void;
  log: Logger;
};

/**
 * Step outcomes waiting to be recorded, and the settles recording them (engine/settle.ts). Keeps
 * what this worker's own settles last wrote of each running instance (the known states), so that
 * most outcomes are recorded in one round trip.
 */
export class OutcomeQueue {
  /** Runs whose outcome is queued or being settled: still this worker's, so still heartbeated. */
  private readonly settling = new Set<string>();
  /** Outcomes waiting to be settled, each with how many successors it could start (its step's dependents). */
  private queued: { outcome: StepOutcome; fanOut: number }[] = [];
  /** What this worker's own settles last wrote of each running instance (see KnownState). */
  private readonly known: KnownStates = new Map();
  private flushScheduled = false;
  private readonly settles = new Set<Promise<void>>();
  private settlesInFlight = 0;

  constructor(private readonly options: OutcomeQueueOptions) {}

  /** Whether outcomes are queued or being settled. */
  get busy(): boolean {
    return this.settles.size > 0 || this.queued.length > 0;
  }

  /** Ids of the runs whose outcome is not recorded yet (their leases must be kept fresh). */
  settlingIds(): string[] {
    return [...this.settling];
  }

  /** Forgets what this worker knew of the instance: a command changed it (its row version says so too). */
  forget(instanceId: string): void {
    this.known.delete(instanceId);
  }

  /** Queues the outcome of a run this worker executed, to be settled at the end of this event-loop turn. */
  add(run: ClaimedRun, outcome: StepOutcome): void {
    this.settling.add(outcome.runId);
    this.queued.push({ outcome, fanOut: this.fanOut(run, outcome) });
    this.scheduleFlush();
  }

  /** Settles everything queued, and what those settles queue, until nothing is left. */
  async drain(): Promise<void> {
    while (this.busy) {
      this.flush();
      await Promise.all([...this.settles]);
    }
  }

  /** The most successors settling this outcome can start: the steps that depend on its step (a retry is queued with a delay, never started). */
  private fanOut(run: ClaimedRun, outcome: StepOutcome): number {
    if (outcome.kind !== "completed") return 0;
    return this.options.definitions.known(run.definitionId)?.specs.filter((s) => s.dependsOn.includes(run.stepKey)).length ?? 0;
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
    while (this.settlesInFlight < MAX_PARALLEL_SETTLES && this.queued.length) {
      const batch = this.queued.splice(0, Math.max(16, Math.ceil(this.queued.length / (MAX_PARALLEL_SETTLES - this.settlesInFlight))));
      this.settlesInFlight++;
      const settle = this.settleBatch(batch);
      this.settles.add(settle);
      void settle.then(() => {
        this.settles.delete(settle);
        this.settlesInFlight--;
        // Successors were queued: claim them here rather than wait for our own NOTIFY.
        this.flush();
        this.options.fill();
      });
    }
  }

  /** Never rejects: a batch that cannot be recorded is logged and left to lease expiry. */
  private async settleBatch(queued: { outcome: StepOutcome; fanOut: number }[]): Promise<void> {
    const { slots, log } = this.options;
    const batch = queued.map((q) => q.outcome);
    // Successors may be started right in the settle transaction, into slots reserved for them now:
    // as many as the batch can start, so that a parallel batch or a claim gets the other slots.
    const fanOut = queued.reduce((n, q) => n + q.fanOut, 0);
    const startLimit = this.options.stopping() ? 0 : Math.max(0, Math.min(fanOut, slots.free()));
    slots.reserve(startLimit);
    try {
      const result = await settleOutcomes(this.options, this.options.workerId, batch, this.options.specsOf, { startLimit, leaseMs: this.options.leaseMs }, this.known);
      slots.release(startLimit);
      for (const run of result.started) this.options.execute(run);
      if (result.failure) log.error({ err: result.failure, runs: batch.map((o) => o.runId) }, "could not record some step outcomes; their leases will expire and they run again");
      if (result.discarded) log.debug({ discarded: result.discarded }, "discarded results of runs no longer ours");
      if (result.drained.length) this.options.drained();
    } catch (error) {
      // Left running in the database: the lease expires and the step runs again (at least once).
      slots.release(startLimit);
      log.error({ err: error, runs: batch.map((o) => o.runId) }, "could not record step outcomes");
    } finally {
      for (const o of batch) this.settling.delete(o.runId);
    }
  }
}
