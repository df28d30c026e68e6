import { and, eq, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instances, stepRuns, type Actor, type Instance, type PauseKind } from "@/db/schema";
import { conflict } from "@/lib/errors";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { transition } from "@/lib/state-machine";
import { parseInput, type Untrusted } from "@/lib/validate";
import { pauseInputSchema, type PauseInput } from "./inputs";
import { lockInstance } from "./lock";

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
        pauseMode: input.mode,
        pauseKind: options.kind ?? (input.resumeAt ? "scheduled" : "manual"),
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
      details: { mode: input.mode, kind: updated!.pauseKind, resumeAt: input.resumeAt?.toISOString() ?? null, interrupted },
    });
    await enqueueEvent(tx, "workflow.instance.paused", updated!);
    if (interrupted.length) await notify(tx, channels.control, current.id);
    return updated!;
  });
}
