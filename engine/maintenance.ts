import { and, count, desc, eq, lt, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { instances, stepRuns, type Instance } from "@/db/schema";
import { scheduleActor } from "@/lib/actors";
import { AppError } from "@/lib/errors";
import { channels, notify } from "@/lib/events";
import { isTerminal } from "@/lib/state-machine";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { failInstance } from "@/lib/instances/lifecycle/advance";
import { anyText, anyUuid } from "@/db/sql-arrays";


/** How many times a step may lose its worker (lease expired) before it is taken to be what kills it. */
export const MAX_LEASE_LOSSES = 3;

/**
 * Runs whose lease expired belong to a worker that died (or stalled past its lease). Each is
 * ended as `interrupted` (end reason `lease_expired`) and a fresh run of the same attempt queued:
 * a lost worker is not the step's failure and spends no retry. The instance lock (FOR UPDATE)
 * keeps this from racing a pause's drain count or a completion of the same instance.
 * A step that has lost its worker MAX_LEASE_LOSSES times is taken to be what kills it (a poison
 * step): instead of running it again, the instance fails, which is why the lock is FOR UPDATE
 * (a status change stops claims).
 * Returns how many runs it reclaimed and the instances that became fully paused by it.
 */
export async function reclaimExpiredLeases(db: Db, limit = 50): Promise<{ reclaimed: number; drained: string[] }> {
  const candidates = await db
    .selectDistinct({ instanceId: stepRuns.instanceId })
    .from(stepRuns)
    .where(and(eq(stepRuns.status, "running"), lt(stepRuns.leaseExpiresAt, sql`now()`)))
    .limit(limit);
  let reclaimed = 0;
  const drained: string[] = [];
  for (const { instanceId } of candidates) {
    await db.transaction(async (tx) => {
      // FOR UPDATE, not NO KEY UPDATE: a poison step fails the instance, which must stop claims.
      const [instance] = await tx.select().from(instances).where(eq(instances.id, instanceId)).for("update");
      if (!instance) return;
      const terminal = isTerminal(instance.status);
      const rows = await tx
        .update(stepRuns)
        .set({
          status: terminal ? "cancelled" : "interrupted",
          finishedAt: new Date(),
          leaseExpiresAt: null,
          error: sql`'Lease expired: worker ' || coalesce(${stepRuns.workerId}, '?') || ' stopped heartbeating'`,
          endReason: "lease_expired",
        })
        .where(and(eq(stepRuns.instanceId, instanceId), eq(stepRuns.status, "running"), lt(stepRuns.leaseExpiresAt, sql`now()`)))
        .returning({ stepKey: stepRuns.stepKey, attempt: stepRuns.attempt });
      if (!rows.length) return;
      reclaimed += rows.length;
      const poison = terminal ? undefined : await poisonStep(tx, instanceId, rows.map((r) => r.stepKey));
      if (poison) {
        await failForPoison(tx, instance, poison);
        return;
      }
      if (!terminal) await tx.insert(stepRuns).values(rows.map((r) => ({ instanceId, stepKey: r.stepKey, attempt: r.attempt })));
      const [left] = await tx.select({ n: count() }).from(stepRuns).where(and(eq(stepRuns.instanceId, instanceId), eq(stepRuns.status, "running")));
      if (instance.status === "paused" && left?.n === 0) drained.push(instanceId);
      // A worker that only stalled learns it lost the run and aborts it; idle workers claim the rerun.
      await notify(tx, channels.control, instanceId);
      if (instance.status === "running") await notify(tx, channels.wake, instanceId);
    });
  }
  return { reclaimed, drained };
}

/**
 * Paused instances whose `resumeAt` has come, resumed through the same use case as a person's
 * resume. It decides from a read, so it hands the use case what it decided on (the pause's
 * `pausedAt` and `resumeAt`): under the lock, a pause that is no longer the same one (resumed,
 * and perhaps paused again as "hold until further notice"), or whose time moved, is skipped
 * quietly; no history row, no refusal. `onRefused` hears only of real refusals (the resume
 * condition not met). Returns how many it resumed.
 */
export async function resumeDueInstances(db: Db, skip: (id: string) => boolean, onRefused: (id: string, message: string) => void, limit = 20): Promise<number> {
  const due = await db
    .select({ id: instances.id, pausedAt: instances.pausedAt, resumeAt: instances.resumeAt })
    .from(instances)
    .where(and(eq(instances.status, "paused"), lt(instances.resumeAt, sql`now()`)))
    .limit(limit);
  let resumed = 0;
  for (const { id, pausedAt, resumeAt } of due) {
    if (skip(id) || !pausedAt || !resumeAt) continue;
    try {
      const done = await resumeInstance(db, { instanceId: id, reason: "Scheduled resume time reached" }, scheduleActor, { decidedOn: { pausedAt, resumeAt } });
      if (done) resumed++;
    } catch (error) {
      // The workflow's resume condition is not met yet (or the instance is gone).
      if (error instanceof AppError) onRefused(id, error.message);
      else throw error;
    }
  }
  return resumed;
}

/**
 * Hands runs this worker will not finish back to the queue (graceful shutdown past its grace
 * period): each ends `interrupted` and a fresh run of the same attempt is queued for another worker.
 */
export async function releaseRuns(db: Db, workerId: string, runs: { id: string; instanceId: string }[]): Promise<number> {
  let released = 0;
  for (const instanceId of [...new Set(runs.map((r) => r.instanceId))].sort()) {
    const ids = runs.filter((r) => r.instanceId === instanceId).map((r) => r.id);
    await db.transaction(async (tx) => {
      // The same lock as the reclaim. Nothing here changes the status, so NO KEY UPDATE would do,
      // but this runs once per shutdown and serialising with claims costs nothing then.
      const [instance] = await tx.select().from(instances).where(eq(instances.id, instanceId)).for("update");
      if (!instance) return;
      const rows = await tx
        .update(stepRuns)
        .set({ status: "interrupted", finishedAt: new Date(), leaseExpiresAt: null, error: `Released by worker ${workerId} shutting down`, endReason: "worker_shutdown" })
        .where(and(anyUuid(stepRuns.id, ids), eq(stepRuns.workerId, workerId), eq(stepRuns.status, "running")))
        .returning({ stepKey: stepRuns.stepKey, attempt: stepRuns.attempt });
      if (!rows.length) return;
      released += rows.length;
      if (!isTerminal(instance.status)) await tx.insert(stepRuns).values(rows.map((r) => ({ instanceId, stepKey: r.stepKey, attempt: r.attempt })));
      await notify(tx, channels.wake, instanceId);
      await notify(tx, channels.control, instanceId);
    });
  }
  return released;
}

/**
 * The step among `stepKeys` that has lost its worker most often (runs ended with end reason
 * `lease_expired`, counting the ones just reclaimed), if that is MAX_LEASE_LOSSES times or more.
 */
async function poisonStep(tx: Tx, instanceId: string, stepKeys: string[]): Promise<{ stepKey: string; losses: number } | undefined> {
  const losses = count();
  const [worst] = await tx
    .select({ stepKey: stepRuns.stepKey, losses })
    .from(stepRuns)
    .where(and(eq(stepRuns.instanceId, instanceId), anyText(stepRuns.stepKey, stepKeys), eq(stepRuns.endReason, "lease_expired")))
    .groupBy(stepRuns.stepKey)
    .orderBy(desc(losses))
    .limit(1);
  return worst && worst.losses >= MAX_LEASE_LOSSES ? worst : undefined;
}

async function failForPoison(tx: Tx, instance: Instance, poison: { stepKey: string; losses: number }): Promise<void> {
  const why = `Step "${poison.stepKey}" lost its worker ${poison.losses} times; it may be what crashes it, so it is not run again`;
  await failInstance(tx, instance, why, { step: poison.stepKey, leaseLosses: poison.losses });
}
