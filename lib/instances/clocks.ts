import "server-only";
import { and, eq, gt, sql, type AnyColumn, type SQL } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { settleAll } from "@/db/pipeline";
import { gates, instances, stepRuns, type Instance } from "@/db/schema";

/*
 * The clock rule (DESIGN invariant 9), written once; every sweep and resume asks here.
 *
 * An instance's clocks are its deadline (`instances.dueAt`), its pending gates' expiry,
 * escalation and next reminder (`gates.expiresAt`, `gates.escalateAt`, `gates.nextReminderAt`) and the backoff of its queued retries
 * (`step_runs.availableAt` of pending runs). They stop when the instance is FULLY paused: paused
 * with no step run still running. While a graceful pause drains, they run: draining is work, and
 * a deadline that passes mid-drain times the instance out. They stopped at the later of `pausedAt`
 * and the last finish of a run at or after `pausedAt` (when the last in-flight step finished).
 *
 * Derived from step_runs, never stored: no claim can start a run of a paused instance, so nothing
 * after the drain can change the answer, and the engine's hot settle path writes nothing for it.
 *
 * On resume, every clock that had not fired when they stopped moves on by now − stoppedAt (one
 * set during the stop, by now − when it was set); one that had already fired (it was due while the instance still ran or drained) is left due.
 *
 * Not clocks of the instance, and never moved: `resumeAt` (a wall-clock time someone chose),
 * leases (a worker's liveness), `hookLeaseExpiresAt`, and a step's own `timeoutMs` (measured by
 * the worker while the step runs: a graceful drain lets it run, an immediate pause restarts the
 * step with a fresh one).
 */

// Columns named with the table, in plain SQL: Drizzle leaves a column unqualified in a one-table
// select list, and inside the step_runs subqueries an unqualified "id" would be the run's id.
/** No run of the instance is running: the condition for "fully paused" besides the status. */
const nothingRunning = sql`not exists (select 1 from step_runs sr where sr.instance_id = instances.id and sr.status = 'running')`;

/**
 * SQL boolean over the `instances` row in scope (the table unaliased): its clocks are stopped
 * (paused and fully drained). Usable in any query that has `instances` in its FROM.
 */
export const clocksStopped: SQL<boolean> = sql<boolean>`(instances.status = 'paused' and ${nothingRunning})`;

/**
 * SQL timestamptz over the `instances` row in scope (the table unaliased): when its clocks
 * stopped, or null while they run (not paused, or still draining). Decoded as a Date.
 */
export const clockStoppedAt = sql<Date | null>`(case when ${clocksStopped} then greatest(instances.paused_at,
  (select max(sr.finished_at) from step_runs sr where sr.instance_id = instances.id and sr.finished_at >= instances.paused_at)) end)`.mapWith(instances.pausedAt);

export type ClockState = {
  /** The instance is fully paused: no clock of it may fire. */
  stopped: boolean;
  /** When they stopped; null while they run (or, for a paused row without pausedAt, unknown). */
  stoppedAt: Date | null;
};

/**
 * Where the instance's clocks stand. Call it holding the instance row lock (`lockInstance`): a
 * settle that finishes the last in-flight step takes a lock that conflicts with it, so the answer
 * cannot change before the caller commits.
 * @throws Error when the instance does not exist (the caller has just locked it).
 */
export async function readClocks(tx: Tx, instanceId: string): Promise<ClockState> {
  const [row] = await tx.select({ stopped: clocksStopped, stoppedAt: clockStoppedAt }).from(instances).where(eq(instances.id, instanceId)).prepare("read_clocks").execute();
  if (!row) throw new Error(`readClocks: no instance ${instanceId}`);
  return { stopped: row.stopped, stoppedAt: row.stopped ? (row.stoppedAt ?? null) : null };
}

export type MovedClocks = {
  /** When the clocks stopped; null if they never did (resumed while still draining). */
  stoppedAt: Date | null;
  /** How far every clock moved, in milliseconds: now − stoppedAt, 0 if they never stopped. */
  movedMs: number;
  /** The instance's deadline after the move, for the caller to write in its own update of the row. */
  dueAt: Date | null;
};

/**
 * Resume's part of the rule: moves the pending gates' expiry and escalation and the backoff of
 * pending runs on by the time the clocks were stopped, and returns the moved deadline (the caller
 * writes it with the rest of the instance row, in the same transaction). Holds the instance lock.
 * @param now the resume's own time; `movedMs` is measured against it, so history can show it exactly.
 */
export async function moveClocksOnResume(tx: Tx, instance: Pick<Instance, "id" | "dueAt">, now: Date): Promise<MovedClocks> {
  const { stoppedAt } = await readClocks(tx, instance.id);
  // Never backwards: a stop time a little ahead of this process's clock (another machine's) moves nothing.
  const movedMs = stoppedAt ? Math.max(0, now.getTime() - stoppedAt.getTime()) : 0;
  if (!stoppedAt || movedMs === 0) return { stoppedAt, movedMs, dueAt: instance.dueAt };

  const since = sql`${stoppedAt.toISOString()}::timestamptz`;
  const at = sql`${now.toISOString()}::timestamptz`;
  // A clock set while the instance was stopped (a gate requested, a run queued by an approval
  // during the hold) has been stopped only since it was set, so it moves by now − max(stop, set).
  const stoppedSince = (setAt: SQL | AnyColumn) => sql`greatest(interval '0', ${at} - greatest(${since}, ${setAt}))`;
  const movingGates = tx
    .update(gates)
    .set({
      expiresAt: sql`case when ${gates.expiresAt} > ${since} then ${gates.expiresAt} + ${stoppedSince(gates.requestedAt)} else ${gates.expiresAt} end`,
      // An escalation that already happened stays where it happened.
      escalateAt: sql`case when ${gates.escalatedAt} is null and ${gates.escalateAt} > ${since} then ${gates.escalateAt} + ${stoppedSince(gates.requestedAt)} else ${gates.escalateAt} end`,
      // The next reminder too: a long pause must not make every reminder it skipped fire at once on resume.
      nextReminderAt: sql`case when ${gates.nextReminderAt} > ${since} then ${gates.nextReminderAt} + ${stoppedSince(gates.requestedAt)} else ${gates.nextReminderAt} end`,
    })
    .where(and(eq(gates.instanceId, instance.id), eq(gates.status, "pending")))
    .prepare("move_gate_clocks")
    .execute();
  // Only retries still in their backoff; a run already due stays due (and keeps its place in the queue).
  const movingRuns = tx
    .update(stepRuns)
    .set({ availableAt: sql`${stepRuns.availableAt} + ${stoppedSince(stepRuns.createdAt)}` })
    .where(and(eq(stepRuns.instanceId, instance.id), eq(stepRuns.status, "pending"), gt(stepRuns.availableAt, stoppedAt)))
    .prepare("move_run_clocks")
    .execute();
  // Sent together: one round trip for both.
  await settleAll([movingGates, movingRuns]);
  const dueAt = instance.dueAt && instance.dueAt > stoppedAt ? new Date(instance.dueAt.getTime() + movedMs) : instance.dueAt;
  return { stoppedAt, movedMs, dueAt };
}

/**
 * Retry's part of the rule: the deadline stops while the instance is failed, like a pause. It
 * restarts with the time that was left when the instance failed (`dueAt − finishedAt`, never
 * less than nothing), counted from `now`; an instance without a deadline keeps none. Pure.
 */
export function deadlineOnRetry(instance: Pick<Instance, "dueAt" | "finishedAt">, now: Date): Date | null {
  if (!instance.dueAt) return null;
  const left = instance.finishedAt ? Math.max(0, instance.dueAt.getTime() - instance.finishedAt.getTime()) : 0;
  return new Date(now.getTime() + left);
}
