import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { instances, stepRuns, type Actor, type Instance, type PauseKind, type PauseMode, type ReasonCategory } from "@/db/schema";
import { conflict, conflictSince } from "@/lib/errors";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { settleAll } from "@/db/pipeline";
import { appendHistory, historyHead, insertHistory, type HistoryEntry } from "@/lib/history";
import { allows, transition } from "@/lib/state-machine";
import { parseInput, type Untrusted } from "@/lib/validate";
import { escalatePauseInputSchema, pauseInputSchema, type EscalatePauseInput, type PauseInput } from "./inputs";
import { REASON_MAX } from "./limits";
import { lockInstance } from "./lock";
import { updateInstanceRow } from "./update-row";
import { reasonTags } from "./reason-tags";
import { clipText, normaliseText } from "@/lib/text";

export type PauseOptions = { kind?: PauseKind };

/**
 * Pauses an instance in one transaction: lock, check, update, history, event.
 * Graceful leaves in-flight steps to finish (the instance drains); immediate interrupts
 * them now and queues a fresh run of each, to start from the beginning on resume.
 */
export async function pauseInstance(db: Db, raw: PauseInput | Untrusted, actor: Actor, options: PauseOptions = {}): Promise<Instance> {
  const input = parseInput(pauseInputSchema, raw);
  return db.transaction(async (tx) => {
    const current = await lockInstance(tx, input.instanceId, input.expectedVersion);
    return applyPause(tx, current, { reason: input.reason, mode: input.mode, resumeAt: input.resumeAt, category: input.category, ticketUrl: input.ticketUrl }, actor, options.kind);
  });
}

/**
 * The pause itself, for a caller that already holds the instance row `FOR UPDATE` (the command
 * above, the engine pausing at a checkpoint or for a step, or a maintenance window starting).
 * `extraDetails` are added to the history row's (a window names its occurrence there). That lock is what makes the
 * engine's claim wait and re-check the status, so no step starts once this commits.
 */
export async function applyPause(
  tx: Tx,
  current: Instance,
  input: { reason: string; mode: PauseMode; resumeAt?: Date; category?: ReasonCategory; ticketUrl?: string },
  actor: Actor,
  kind?: PauseKind,
  /** Added to the history row's details (a bulk operation's id, a window's occurrence). */
  extraDetails: Record<string, unknown> = {},
): Promise<Instance> {
  const t = transition(current.status, "pause");
  if (!t.ok) {
    if (current.status === "paused") {
      throw conflictSince(`Already paused by ${current.pausedByLabel ?? "someone"}`, current.pausedAt);
    }
    throw conflict(t.message);
  }

  const interrupted = input.mode === "immediate" ? await interruptRunningSteps(tx, current.id) : [];

  const pauseKind = kind ?? (input.resumeAt ? "scheduled" : "manual");
  const now = new Date();
  const updating = updateInstanceRow(tx, current.id, {
    status: t.to,
    pausedFromStatus: current.status,
    pausedAt: now,
    pausedById: actor.id,
    pausedByLabel: actor.label,
    pauseReason: input.reason,
    pauseCategory: input.category ?? null,
    pauseTicketUrl: input.ticketUrl ?? null,
    pauseMode: input.mode,
    pauseKind,
    resumeAt: input.resumeAt ?? null,
    updatedAt: now,
  });
  // Sent with the update, one round trip: the chain's head (under the lock; the update does not change it).
  const [updated, head] = await settleAll([updating, historyHead(tx, current.id)]);

  const entry: HistoryEntry = {
    instanceId: current.id,
    workflowKey: current.workflowKey,
    action: "paused",
    actor,
    reason: input.reason,
    fromStatus: t.from,
    toStatus: t.to,
    details: { ...extraDetails, mode: input.mode, kind: pauseKind, resumeAt: input.resumeAt?.toISOString() ?? null, interrupted, ...reasonTags(input) },
  };
  // Sent together, one round trip: the history row, the outbox event, and the notification (always:
  // an immediate pause must abort in-flight steps, and any pause may leave the instance fully
  // paused already, which is when its onPause hook is due).
  await settleAll([insertHistory(tx, entry, head), enqueueEvent(tx, "workflow.instance.paused", updated), notify(tx, channels.control, current.id)]);
  return updated;
}

/**
 * What an immediate pause does to the steps in flight: each running run is marked interrupted (its
 * worker sees that and aborts it on the control notification) and a fresh run is queued, to start
 * from the beginning on resume. Returns the interrupted step keys. The caller holds the row lock.
 */
async function interruptRunningSteps(tx: Tx, instanceId: string): Promise<string[]> {
  const rows = await tx
    .update(stepRuns)
    .set({ status: "interrupted", finishedAt: new Date(), error: "Interrupted by an immediate pause", leaseExpiresAt: null })
    .where(and(eq(stepRuns.instanceId, instanceId), eq(stepRuns.status, "running")))
    .returning({ stepKey: stepRuns.stepKey, attempt: stepRuns.attempt });
  if (rows.length) {
    // The rerun keeps the attempt number: an interruption is not a failure and spends no retry.
    await tx.insert(stepRuns).values(rows.map((r) => ({ instanceId, stepKey: r.stepKey, attempt: r.attempt })));
  }
  return rows.map((r) => r.stepKey);
}

/**
 * Escalates a graceful pause that is still draining to an immediate one, in one transaction:
 * lock, check, interrupt the running steps, set the pause's mode, history, event, notify. The
 * state machine refuses `pause` on a paused instance (a second pause would hide who paused it),
 * so this is its own command (`escalate`, paused → paused): the pause keeps its author, reason
 * and clocks, and the escalation is a `paused` history row of its own, paused → paused, by the
 * person who escalated and saying why, with `escalated: true` and the interrupted steps.
 * Refused (conflict) unless the instance is paused, gracefully, with steps still running: once
 * the drain has finished there is nothing left to interrupt.
 */
export async function escalatePause(db: Db, raw: EscalatePauseInput | Untrusted, actor: Actor): Promise<Instance> {
  const input = parseInput(escalatePauseInputSchema, raw);
  return db.transaction(async (tx) => {
    const current = await lockInstance(tx, input.instanceId, input.expectedVersion);
    const t = transition(current.status, "escalate");
    if (!t.ok) throw conflict(t.message);
    if (current.pauseMode === "immediate") throw conflictSince(`Already paused immediately by ${current.pausedByLabel ?? "someone"}`, current.pausedAt);
    const interrupted = await interruptRunningSteps(tx, current.id);
    if (!interrupted.length) throw conflict("No step is still running: the pause has already taken full effect");
    const [updated] = await tx
      .update(instances)
      .set({ pauseMode: "immediate", version: sql`${instances.version} + 1`, updatedAt: new Date() })
      .where(eq(instances.id, current.id))
      .returning();
    await appendHistory(tx, {
      instanceId: current.id,
      workflowKey: current.workflowKey,
      action: "paused",
      actor,
      reason: input.reason,
      fromStatus: t.from,
      toStatus: t.to,
      details: { mode: "immediate", kind: current.pauseKind, escalated: true, escalatedFrom: "graceful", interrupted, ...reasonTags(input) },
    });
    await enqueueEvent(tx, "workflow.instance.paused", updated!);
    // The workers abort the interrupted runs on this; with nothing left running, the onPause hook is due too.
    await notify(tx, channels.control, current.id);
    return updated!;
  });
}

/**
 * A pause the engine asks for on the instance's own behalf: a step that called
 * `ctx.pauseWorkflow(reason)` (kind `programmatic`, actor `step:<key>`) or a `pauseBefore`
 * checkpoint reached (kind `checkpoint`, actor `engine`). `stepKey` is the step that asked, or
 * the checkpointed step. `reason` is trimmed and cut to REASON_MAX characters here.
 */
export type EnginePauseRequest = { kind: Extract<PauseKind, "programmatic" | "checkpoint">; reason: string; actor: Actor; stepKey: string };

/**
 * Honours an engine pause request whatever the instance's status when the step's result is
 * recorded (DESIGN invariant 11: a request is never dropped). The caller holds the instance row
 * `FOR UPDATE` and records the step's result in the same transaction, so the history row and the
 * `workflow.instance.paused` event commit with it or not at all. Returns the row as it now is.
 * - running, waiting: paused (graceful) like any pause; a waiting instance keeps `pausedFromStatus`
 *   `waiting`, so an approval given meanwhile takes effect only on resume.
 * - paused (an operator's graceful pause still draining, or fully paused): the request gets its
 *   own `paused` history row, paused → paused, saying who held the instance; the pause now names
 *   the request (label, reason, kind; pausedById null, category and ticket cleared since they
 *   described the reason replaced) so whoever resumes next sees why. `pausedAt`, `pausedFromStatus`
 *   and `pauseMode` stay: the clocks are moved back from when the instance really stopped, and
 *   resume still returns to what the first pause interrupted. `resumeAt` is cleared: a step that
 *   asked to stop is not lifted by a schedule, only by someone resuming. The version bumps.
 * - ended (completed, failed, cancelled, timed out while the step ran): nothing. The command that
 *   ended it cancelled the step's run, so the settle discards the step's result (and this request
 *   with it) before this is reached; should an ended row get here anyway there is nothing left
 *   to hold, and the end's own history row already says why it stopped.
 * Throws only what the database throws.
 */
export async function applyEnginePause(tx: Tx, current: Instance, request: EnginePauseRequest): Promise<Instance> {
  const reason = clipText(normaliseText(request.reason), REASON_MAX) || `Paused by step ${request.stepKey}`;
  if (allows(current.status, "pause")) return applyPause(tx, current, { reason, mode: "graceful" }, request.actor, request.kind);
  // The state machine refuses a pause only to a paused instance and to an ended one.
  if (current.status !== "paused") return current;

  const heldBy = {
    label: current.pausedByLabel,
    kind: current.pauseKind,
    reason: current.pauseReason,
    since: current.pausedAt?.toISOString() ?? null,
    mode: current.pauseMode,
    resumeAt: current.resumeAt?.toISOString() ?? null,
    category: current.pauseCategory,
    ticketUrl: current.pauseTicketUrl,
  };
  const [updated] = await tx
    .update(instances)
    .set({
      pausedById: request.actor.id,
      pausedByLabel: request.actor.label,
      pauseReason: reason,
      pauseKind: request.kind,
      pauseCategory: null,
      pauseTicketUrl: null,
      resumeAt: null,
      version: sql`${instances.version} + 1`,
      updatedAt: new Date(),
    })
    .where(eq(instances.id, current.id))
    .returning();
  await appendHistory(tx, {
    instanceId: current.id,
    workflowKey: current.workflowKey,
    action: "paused",
    actor: request.actor,
    reason,
    fromStatus: "paused",
    toStatus: "paused",
    details: { mode: "graceful", kind: request.kind, step: request.stepKey, requestedWhilePaused: true, heldBy, interrupted: [] },
  });
  await enqueueEvent(tx, "workflow.instance.paused", updated!);
  // As in applyPause: the instance may be fully paused now, which is when its onPause hook is due.
  await notify(tx, channels.control, current.id);
  return updated!;
}
