import "server-only";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { history, instances, type Actor, type Instance, type InstanceStatus, type ReasonCategory } from "@/db/schema";
import { AppError, conflict, conflictSince } from "@/lib/errors";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { settleAll } from "@/db/pipeline";
import { historyHead, insertHistory, type HistoryEntry } from "@/lib/history";
import { transition } from "@/lib/state-machine";
import { parseInput, type Untrusted } from "@/lib/validate";
import { RESUME_CONDITION_UNMET } from "./bulk-limits";
import { resumeInputSchema, type ResumeInput } from "./inputs";
import { moveClocksOnResume } from "./clocks";
import { noPause } from "./end-instance";
import { lockInstance } from "./lock";
import { updateInstanceRow } from "./update-row";
import { reasonTags } from "./reason-tags";
import { checkResumeCondition } from "./resume-conditions";

/**
 * What an automatic resume (the schedule) decided on, read before it took the instance lock:
 * this pause, known by when it began (`pausedAt`, written once by the pause and never changed
 * while it lasts; `version` is no use here, a gate approved during the pause bumps it), and
 * its `resumeAt`, which had passed by the database clock.
 */
export type DecidedPause = { pausedAt: Date; resumeAt: Date };

/**
 * What a maintenance window's end decided on: the pause it placed, known by when it began and by
 * its author's label (`window:<id>`). If someone resumed and paused again meanwhile, or a step
 * asked to pause (which renames the pause), that pause is theirs and stays.
 */
export type DecidedHold = { pausedAt: Date; pausedByLabel: string };

/**
 * `decidedOn`: resume only if that pause is still in place and due; `heldBy`: only if that pause is
 * still in place. Otherwise do nothing (null).
 */
export type ResumeOptions = { decidedOn?: DecidedPause; heldBy?: DecidedHold };

/**
 * Resumes a paused instance in one transaction. The instance returns to what the pause
 * interrupted (running, or waiting at a gate); its context and finished steps are untouched,
 * so the engine continues exactly where it stopped. Its clocks (deadline, gate expiry and
 * escalation, retry backoff) move on by the time they were stopped (see clocks.ts).
 * Errors (AppError): not_found for an unknown or malformed id; conflict for a stale
 * `expectedVersion`, an instance that is not paused, or an unmet resume condition.
 * With `options.decidedOn` or `options.heldBy` (automatic actions), the pause it decided on is
 * re-checked under the lock first: if another pause is in place, or (decidedOn) its resume time
 * moved, is gone or has not come, nothing is written and it returns null (a skipped automatic
 * action, not an error).
 */
export function resumeInstance(db: Db, raw: ResumeInput | Untrusted, actor: Actor): Promise<Instance>;
export function resumeInstance(db: Db, raw: ResumeInput | Untrusted, actor: Actor, options: ResumeOptions): Promise<Instance | null>;
export async function resumeInstance(db: Db, raw: ResumeInput | Untrusted, actor: Actor, options: ResumeOptions = {}): Promise<Instance | null> {
  const input = parseInput(resumeInputSchema, raw);
  return db.transaction(async (tx) => {
    const current = await lockInstance(tx, input.instanceId, input.expectedVersion);
    if (options.decidedOn && !(await stillDue(tx, current, options.decidedOn))) return null;
    if (options.heldBy && !(current.status === "paused" && current.pausedByLabel === options.heldBy.pausedByLabel && current.pausedAt?.getTime() === options.heldBy.pausedAt.getTime())) return null;
    return applyResume(tx, current, input, actor);
  });
}

/** What a resume records: the reason (required when forced), whether forced, and the optional tags. */
export type ResumeFields = { reason?: string | null; force: boolean; category?: ReasonCategory | null; ticketUrl?: string | null };

/**
 * The resume itself, for a caller that already holds the instance row `FOR UPDATE` (the command
 * above, or a bulk operation acting on one of its targets). `extraDetails` go into the history
 * row's details (a bulk operation's id). Errors: conflict for an instance that is not paused or
 * an unmet resume condition (unless forced).
 */
export async function applyResume(tx: Tx, current: Instance, input: ResumeFields, actor: Actor, extraDetails: Record<string, unknown> = {}): Promise<Instance> {
    const t = transition(current.status, "resume", { pausedFrom: current.pausedFromStatus });
    if (!t.ok) throw (await alreadyResumed(tx, current.id, current.status)) ?? conflict(t.message);

    if (!input.force) {
      const check = await checkResumeCondition(tx, current);
      // The headline groups such refusals in a bulk resume, which offers to force them.
      if (!check.ok) throw new AppError("conflict", `${RESUME_CONDITION_UNMET}: ${check.message}`, undefined, { headline: RESUME_CONDITION_UNMET, at: null });
    }

    const now = new Date();
    const clocks = await moveClocksOnResume(tx, current, now);
    const updating = updateInstanceRow(tx, current.id, { status: t.to, ...noPause, dueAt: clocks.dueAt, updatedAt: now });
    // Sent with the update, one round trip: the chain's head (under the lock; the update does not change it).
    const [updated, head] = await settleAll([updating, historyHead(tx, current.id)]);

    const entry: HistoryEntry = {
      instanceId: current.id,
      workflowKey: current.workflowKey,
      action: input.force ? "force_resumed" : "resumed",
      actor,
      reason: input.reason ?? null,
      fromStatus: t.from,
      toStatus: t.to,
      details: {
        pausedAt: current.pausedAt?.toISOString() ?? null,
        pausedBy: current.pausedByLabel,
        pauseReason: current.pauseReason,
        // Wall time since the pause was asked for (drain included): what the audit insights sum.
        pausedForMs: current.pausedAt ? now.getTime() - current.pausedAt.getTime() : null,
        // What the clocks were moved by: the fully paused time only.
        clockStoppedAt: clocks.stoppedAt?.toISOString() ?? null,
        clocksMovedByMs: clocks.movedMs,
        forced: input.force,
        ...reasonTags(input),
        ...extraDetails,
      },
    };
    // Sent together, one round trip: the history row, the outbox event and the wake-up.
    await settleAll([insertHistory(tx, entry, head), enqueueEvent(tx, "workflow.instance.resumed", updated), notify(tx, channels.wake, current.id)]);
    return updated;
}

/**
 * Under the instance lock: is the pause an automatic resume decided on still the one in place,
 * with the same resume time, and has that time come? Compared on the database clock, the one
 * the schedule's read used, so app and database clocks need not agree.
 */
async function stillDue(tx: Tx, current: Instance, decided: DecidedPause): Promise<boolean> {
  if (current.status !== "paused" || !current.pausedAt || !current.resumeAt) return false;
  if (current.pausedAt.getTime() !== decided.pausedAt.getTime() || current.resumeAt.getTime() !== decided.resumeAt.getTime()) return false;
  const [row] = await tx.select({ due: sql<boolean>`${instances.resumeAt} <= now()` }).from(instances).where(eq(instances.id, current.id));
  return row?.due === true;
}

/** When someone else resumed first, the conflict says who and when rather than only "not paused"; null otherwise. */
async function alreadyResumed(tx: Tx, instanceId: string, status: InstanceStatus): Promise<AppError | null> {
  if (status !== "running" && status !== "waiting") return null;
  const [last] = await tx
    .select({ action: history.action, actorLabel: history.actorLabel, createdAt: history.createdAt })
    .from(history)
    .where(and(eq(history.instanceId, instanceId), inArray(history.action, ["paused", "resumed", "force_resumed"])))
    .orderBy(desc(history.seq))
    .limit(1);
  if (!last || last.action === "paused") return null;
  return conflictSince(`Already resumed by ${last.actorLabel}`, last.createdAt);
}
