import { and, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { instances, stepRuns, type Actor, type Instance, type PauseKind, type PauseMode, type ReasonCategory } from "@/db/schema";
import { conflict } from "@/lib/errors";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { transition } from "@/lib/state-machine";
import { parseInput, type Untrusted } from "@/lib/validate";
import { pauseInputSchema, type PauseInput } from "./inputs";
import { lockInstance } from "./lock";
import { reasonTags } from "./reason-tags";

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
 * above, or the engine pausing at a checkpoint or for a step). That lock is what makes the
 * engine's claim wait and re-check the status, so no step starts once this commits.
 */
export async function applyPause(
  tx: Tx,
  current: Instance,
  input: { reason: string; mode: PauseMode; resumeAt?: Date; category?: ReasonCategory; ticketUrl?: string },
  actor: Actor,
  kind?: PauseKind,
): Promise<Instance> {
  const t = transition(current.status, "pause");
  if (!t.ok) {
    if (current.status === "paused") {
      throw conflict(`Already paused by ${current.pausedByLabel ?? "someone"} at ${current.pausedAt?.toISOString() ?? "an unknown time"}`);
    }
    throw conflict(t.message);
  }

  let interrupted: string[] = [];
  if (input.mode === "immediate") {
    const rows = await tx
      .update(stepRuns)
      .set({ status: "interrupted", finishedAt: new Date(), error: "Interrupted by an immediate pause", leaseExpiresAt: null })
      .where(and(eq(stepRuns.instanceId, current.id), eq(stepRuns.status, "running")))
      .returning({ stepKey: stepRuns.stepKey, attempt: stepRuns.attempt });
    interrupted = rows.map((r) => r.stepKey);
    if (rows.length) {
      // The rerun keeps the attempt number: an interruption is not a failure and spends no retry.
      await tx.insert(stepRuns).values(rows.map((r) => ({ instanceId: current.id, stepKey: r.stepKey, attempt: r.attempt })));
    }
  }

  const [updated] = await tx
    .update(instances)
    .set({
      status: t.to,
      pausedFromStatus: current.status,
      pausedAt: new Date(),
      pausedById: actor.id,
      pausedByLabel: actor.label,
      pauseReason: input.reason,
      pauseCategory: input.category ?? null,
      pauseTicketUrl: input.ticketUrl ?? null,
      pauseMode: input.mode,
      pauseKind: kind ?? (input.resumeAt ? "scheduled" : "manual"),
      resumeAt: input.resumeAt ?? null,
      version: sql`${instances.version} + 1`,
      updatedAt: new Date(),
    })
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
    details: { mode: input.mode, kind: updated!.pauseKind, resumeAt: input.resumeAt?.toISOString() ?? null, interrupted, ...reasonTags(input) },
  });
  await enqueueEvent(tx, "workflow.instance.paused", updated!);
  // Always tell the workers: an immediate pause must abort in-flight steps, and any pause may
  // leave the instance fully paused already, which is when its onPause hook is due.
  await notify(tx, channels.control, current.id);
  return updated!;
}
