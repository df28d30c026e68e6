import { and, eq, inArray, notExists } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "@/db/client";
import { instances, stepRuns, type Instance, type StepSpec } from "@/db/schema";
import { sweepGates } from "@/lib/gates/sweep-gates";
import { timeOutDueInstances } from "@/lib/instances/time-out-instances";
import { reconcileInstance } from "@/lib/instances/lifecycle/advance";
import { runWindows } from "@/lib/maintenance/run-windows";
import { dropExpiredQueuedStarts } from "@/lib/workflows/queued-starts";
import type { Definitions } from "./definitions";
import { runHookJob, takeHookJobs } from "./hooks";
import { reclaimExpiredLeases, resumeDueInstances } from "./maintenance";
import type { Safely } from "./safely";
import { anyUuid } from "@/db/sql-arrays";

/** A scheduled resume refused by its condition is tried again after this long, not every tick. */
const REFUSED_RESUME_RETRY_MS = 30_000;
/** Every how many ticks the sweep for stalled instances runs. */
const SWEEP_EVERY_TICKS = 5;

export type ChoresOptions = {
  db: Db;
  workerId: string;
  definitions: Definitions;
  /** A hook's time limit, in milliseconds; its lease is twice that. */
  hookTimeoutMs: number;
  specsOf: (instance: Instance) => StepSpec[] | undefined;
  stopping: () => boolean;
  safely: Safely;
  log: Logger;
};

/**
 * The worker's periodic and event-driven chores, besides running steps: expired leases, scheduled
 * resumes, maintenance windows (lib/maintenance/run-windows.ts), queued starts past their
 * time-to-live, gate and instance deadlines, the sweep for instances a missed notification left
 * stalled, and the workflows' onPause/onResume hooks. Each decides from a read and acts through a
 * function that re-checks under the row lock (engine/maintenance.ts, lib/).
 */
export class Chores {
  private hooksRunning = false;
  private hooksAgain = false;
  /** Instances whose scheduled resume was refused, and when to try again (epoch ms). */
  private readonly refusedResume = new Map<string, number>();
  private ticks = 0;

  constructor(private readonly options: ChoresOptions) {}

  /** One poll interval's chores, in order; each one's failure is logged and does not stop the others. */
  async tick(): Promise<void> {
    const { db, safely, log } = this.options;
    if (this.options.stopping()) return;
    this.ticks++;
    await safely("leases", async () => {
      const { reclaimed, drained } = await reclaimExpiredLeases(db);
      if (reclaimed) log.warn({ reclaimed }, "reclaimed runs with expired leases");
      if (drained.length) this.pokeHooks();
    });
    await safely("scheduled resume", () =>
      resumeDueInstances(
        db,
        (id) => (this.refusedResume.get(id) ?? 0) > Date.now(),
        (id, message) => {
          // Retry later rather than every tick: a resume condition rarely clears in a second.
          this.refusedResume.set(id, Date.now() + REFUSED_RESUME_RETRY_MS);
          log.info({ instanceId: id, message }, "scheduled resume refused");
        },
      ),
    );
    // Maintenance windows: end, start (or skip a missed one), pause their instances, resume after.
    await safely("maintenance windows", async () => {
      const done = await runWindows(db, {
        skip: (id) => (this.refusedResume.get(id) ?? 0) > Date.now(),
        onRefused: (id, message) => {
          this.refusedResume.set(id, Date.now() + REFUSED_RESUME_RETRY_MS);
          log.info({ instanceId: id, message }, "resume after a maintenance window refused");
        },
      });
      if (done.started || done.ended || done.paused || done.resumed) log.info(done, "maintenance windows");
    });
    await safely("queued starts", async () => {
      const dropped = await dropExpiredQueuedStarts(db);
      if (dropped) log.info({ dropped }, "queued starts dropped past their time-to-live");
    });
    // Approval and instance deadlines run on the engine's clock.
    await safely("gates", async () => {
      await sweepGates(db);
    });
    await safely("deadlines", async () => {
      const timedOut = await timeOutDueInstances(db);
      if (timedOut) log.info({ timedOut }, "instances timed out");
    });
    this.pokeHooks();
    // Missed notifications (a reconnecting LISTEN) leave running instances with nothing queued.
    if (this.ticks % SWEEP_EVERY_TICKS === 0) await safely("sweep", () => this.sweep());
  }

  /** Brings up to date (reconcileInstance) running instances of this worker's definitions that have nothing queued or running. */
  private async sweep(): Promise<void> {
    const { db, definitions, specsOf } = this.options;
    const ids = definitions.ids();
    if (!ids.length) return;
    const stuck = await db
      .select({ id: instances.id })
      .from(instances)
      .where(
        and(
          eq(instances.status, "running"),
          eq(instances.resources, "held"),
          anyUuid(instances.definitionId, ids),
          notExists(db.select({ one: stepRuns.id }).from(stepRuns).where(and(eq(stepRuns.instanceId, instances.id), inArray(stepRuns.status, ["pending", "running"])))),
        ),
      )
      .limit(20);
    for (const { id } of stuck) await reconcileInstance(db, id, specsOf);
  }

  /** Runs due lifecycle hooks until none is left; calls while running coalesce into one more pass. */
  pokeHooks(): void {
    const { db, definitions, workerId, hookTimeoutMs, log } = this.options;
    const keys = definitions.hookedKeys();
    if (!keys.length || this.options.stopping()) return;
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
            const jobs = await takeHookJobs(db, { workerId, workflowKeys: keys, leaseMs: hookTimeoutMs * 2, limit: 10 });
            if (!jobs.length) break;
            await Promise.all(jobs.map((job) => runHookJob(db, job, definitions.known(job.instance.definitionId)?.workflow, { workerId, timeoutMs: hookTimeoutMs, log })));
          }
        } while (this.hooksAgain && !this.options.stopping());
      } catch (error) {
        log.error({ err: error }, "lifecycle hooks failed");
      } finally {
        this.hooksRunning = false;
      }
    })();
  }
}

