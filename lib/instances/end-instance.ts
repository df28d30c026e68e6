import "server-only";
import { eq, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { instances, type Actor, type HistoryAction, type Instance, type InstanceStatus, type StepRunStatus } from "@/db/schema";
import { channels, enqueueEvent, notify, type EventType } from "@/lib/events";
import { withdrawGates } from "@/lib/gates/withdraw-gates";
import { appendHistory } from "@/lib/history";
import { transition, type EndCommand } from "@/lib/state-machine";
import { clipText } from "@/lib/text";

/** What each ending writes: its history action and its outbox event (engine/settle.ts's batch completions too). */
export const endings: Record<EndCommand, { action: HistoryAction; event: EventType }> = {
  complete: { action: "completed", event: "workflow.instance.completed" },
  fail: { action: "failed", event: "workflow.instance.failed" },
  cancel: { action: "cancelled", event: "workflow.instance.cancelled" },
  time_out: { action: "timed_out", event: "workflow.instance.timed_out" },
};

/**
 * The pause fields of an instance no one has paused: written by a resume and by every ending, so a
 * "Paused by" or a scheduled resume never outlives the pause it belonged to.
 */
export const noPause = {
  pausedFromStatus: null,
  pausedAt: null,
  pausedById: null,
  pausedByLabel: null,
  pauseReason: null,
  pauseCategory: null,
  pauseTicketUrl: null,
  pauseMode: null,
  pauseKind: null,
  resumeAt: null,
} as const satisfies Partial<typeof instances.$inferInsert>;

/** Longest error or reason an ending stores (a step's error can be long). */
const TEXT_MAX = 2000;

/**
 * The columns every ending writes (besides `version`, which it bumps): the terminal status, no
 * current step, when it finished, its error, and nothing left that holds it or would wake it (the
 * pause fields, the scheduled resume, a lifecycle hook's lease). An ended instance is held by no
 * one, so the list's "Paused by" and a scheduled resume must not outlive the ending.
 *
 * The single list. engine/settle.ts completes instances in its batch statement and writes the
 * same columns in SQL; test/integration/end-instance.test.ts compares the two paths column by column.
 */
export function endedColumns(to: InstanceStatus, now: Date, error: string | null) {
  return {
    status: to,
    currentSteps: [] as string[],
    finishedAt: now,
    updatedAt: now,
    error,
    ...noPause,
    hookLeaseExpiresAt: null,
    hookWorkerId: null,
  } satisfies Partial<typeof instances.$inferInsert>;
}

export type EndOptions = {
  command: EndCommand;
  /** Who ended it: the history row's actor, and the actor of each gate withdrawn. */
  actor: Actor;
  /** Why, for the history row (cut to 2000 characters). None for a completion. */
  reason?: string | null;
  /** The instance's `error`; defaults to `reason` (cut to 2000 characters). */
  error?: string | null;
  /** Extra history details; the cancelled steps and the number of withdrawn gates are added when there are any. */
  details?: Record<string, unknown>;
  /** The `error` written on the step runs the ending cancels. */
  runError?: string;
  /** The ending's time (finishedAt, the runs' finishedAt, the gates' decidedAt); a sweep passes its own clock. */
  now?: Date;
};

export type Ended =
  | { ok: true; instance: Instance; from: InstanceStatus; to: InstanceStatus; cancelledSteps: string[]; withdrawnGates: number }
  | { ok: false; from: InstanceStatus; message: string };

/**
 * Ends an instance, the one way every path does (the engine completing or failing it, a gate
 * rejected or expired, a cancel, a deadline): asks the state machine; cancels its live step runs
 * (queued ones dropped, running ones told to stop by a NOTIFY on the control channel, their
 * leases cleared); withdraws its pending gates (history and event each); writes endedColumns and
 * bumps the version; appends one history row (`completed`, `failed`, `cancelled`, `timed_out`)
 * and one outbox event (`workflow.instance.<that>`), with the row as the payload.
 *
 * The caller holds the instance row FOR UPDATE (an ending stops claims) and passes the row it
 * read under that lock. Nothing is written when the state machine refuses: `ok` is false with
 * its message, and the caller decides whether that is a conflict (a command) or nothing to do
 * (an automatic action that lost a race).
 */
export async function endInstance(tx: Tx, instance: Instance, options: EndOptions): Promise<Ended> {
  const t = transition(instance.status, options.command);
  if (!t.ok) return t;
  const now = options.now ?? new Date();
  const reason = options.reason == null ? null : clipText(options.reason, TEXT_MAX);
  const error = options.error === undefined ? reason : options.error == null ? null : clipText(options.error, TEXT_MAX);
  const runError = options.runError ?? `Cancelled: the instance ${endings[options.command].action.replace("_", " ")}`;

  // `was` is each run's status before this statement: only running ones need a worker told.
  const runs = await tx.execute<{ step_key: string; was: StepRunStatus }>(sql`
    update step_runs s set status = 'cancelled', finished_at = ${now.toISOString()}::timestamptz, lease_expires_at = null, error = ${runError}
    from step_runs old
    where old.id = s.id and s.instance_id = ${instance.id} and s.status in ('pending', 'running')
    returning s.step_key, old.status as was`);
  const withdrawn = await withdrawGates(tx, instance, options.actor, now);

  const [ended] = await tx
    .update(instances)
    .set({ ...endedColumns(t.to, now, error), version: sql`${instances.version} + 1` })
    .where(eq(instances.id, instance.id))
    .returning();
  const cancelledSteps = [...runs].map((r) => r.step_key);
  await appendHistory(tx, {
    instanceId: instance.id,
    workflowKey: instance.workflowKey,
    action: endings[options.command].action,
    actor: options.actor,
    reason,
    fromStatus: t.from,
    toStatus: t.to,
    details: { ...options.details, ...(cancelledSteps.length ? { cancelledSteps } : {}), ...(withdrawn ? { withdrawnGates: withdrawn } : {}) },
  });
  await enqueueEvent(tx, endings[options.command].event, ended!);
  if ([...runs].some((r) => r.was === "running")) await notify(tx, channels.control, instance.id);
  return { ok: true, instance: ended!, from: t.from, to: t.to, cancelledSteps, withdrawnGates: withdrawn };
}
