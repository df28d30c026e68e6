import type { Logger } from "pino";
import type postgres from "postgres";
import type { Db } from "@/db/client";
import { channels } from "@/lib/events";
import { claimBulkOperation, releaseBulkLease, runBulkOperation } from "@/lib/bulk-operations/run";

export type BulkLoopOptions = {
  db: Db;
  /** For LISTEN on `flowgate_bulk`, so a new operation starts at once rather than at the next poll. */
  sql?: postgres.Sql;
  workerId: string;
  log: Logger;
  /** How often to look for an operation to take up, in milliseconds. */
  pollMs?: number;
  /** How long a claim lasts without renewal; a worker that dies leaves its operation to another after this. */
  leaseMs?: number;
};

/**
 * Runs bulk operations (issue 14 §3) in the worker process, one at a time per worker, on its own
 * timer beside the engine: nothing a step does waits for it, and a dashboard restart does not
 * touch it. Each operation is claimed with a lease (lib/bulk-operations/run.ts) renewed every
 * round; a worker that stops lets its lease go, one that dies leaves it to run out, and the next
 * claim carries on with the targets still pending.
 */
export class BulkLoop {
  private readonly stopSignal = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private again = false;
  private listener: { unlisten: () => Promise<void> } | undefined;

  constructor(private readonly options: BulkLoopOptions) {}

  async start(): Promise<void> {
    if (this.options.sql) this.listener = await this.options.sql.listen(channels.bulk, () => this.tick());
    const loop = () => {
      if (this.stopSignal.signal.aborted) return;
      this.tick();
      this.timer = setTimeout(loop, this.options.pollMs ?? 1_000);
    };
    loop();
  }

  /** Stops between targets; the operation in hand is released for another worker to carry on. */
  async stop(): Promise<void> {
    this.stopSignal.abort();
    clearTimeout(this.timer);
    await this.listener?.unlisten().catch(() => {});
    await this.round;
  }

  /** Looks for work now; a call during a round runs one more round after it. */
  tick(): void {
    if (this.round) {
      this.again = true;
      return;
    }
    this.round = this.runAll().finally(() => {
      this.round = undefined;
      if (this.again && !this.stopSignal.signal.aborted) {
        this.again = false;
        this.tick();
      }
    });
  }

  private async runAll(): Promise<void> {
    const { db, workerId, log } = this.options;
    const leaseMs = this.options.leaseMs ?? 30_000;
    try {
      for (;;) {
        if (this.stopSignal.signal.aborted) return;
        const operation = await claimBulkOperation(db, workerId, leaseMs);
        if (!operation) return;
        log.info({ operationId: operation.id, action: operation.action, matched: operation.matched }, "bulk operation taken up");
        const outcome = await runBulkOperation(db, operation, { workerId, leaseMs, signal: this.stopSignal.signal });
        if (outcome === "stopped") await releaseBulkLease(db, operation.id, workerId);
        log.info({ operationId: operation.id, outcome }, "bulk operation left");
      }
    } catch (error) {
      if (!this.stopSignal.signal.aborted) log.error({ err: error }, "bulk operation round failed");
    }
  }
}
