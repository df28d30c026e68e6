import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instances, stepRuns, type Actor, type Instance } from "@/db/schema";
import { conflict } from "@/lib/errors";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { withdrawGates } from "@/lib/gates/outcome";
import { appendHistory } from "@/lib/history";
import { transition } from "@/lib/state-machine";
import { parseInput, type Untrusted } from "@/lib/validate";
import { cancelInputSchema, type CancelInput } from "./inputs";
import { lockInstance } from "./lock";

/**
 * Cancels an instance in one transaction: lock, check, cancel its queued and running step runs,
 * withdraw its pending gates, update, history, event. The NOTIFY on `flowgate_control` makes the
 * workers running its steps abort them (their signal fires); their results are discarded.
 */
export async function cancelInstance(db: Db, raw: CancelInput | Untrusted, actor: Actor): Promise<Instance> {
  const input = parseInput(cancelInputSchema, raw);
  return db.transaction(async (tx) => {
    const current = await lockInstance(tx, input.instanceId, input.expectedVersion);
    const t = transition(current.status, "cancel");
    if (!t.ok) throw conflict(t.message);

    const now = new Date();
    const runs = await tx
      .update(stepRuns)
      .set({ status: "cancelled", finishedAt: now, leaseExpiresAt: null, error: `Cancelled by ${actor.label}` })
      .where(and(eq(stepRuns.instanceId, current.id), inArray(stepRuns.status, ["pending", "running"])))
      .returning({ stepKey: stepRuns.stepKey, status: stepRuns.status });
    const withdrawn = await withdrawGates(tx, current, actor);

    const [updated] = await tx
      .update(instances)
      .set({
        status: t.to,
        error: input.reason,
        currentSteps: [],
        finishedAt: now,
        // A cancelled instance is no longer held by anyone, nor due to resume.
        resumeAt: null,
        version: sql`${instances.version} + 1`,
        updatedAt: now,
      })
      .where(eq(instances.id, current.id))
      .returning();

    await appendHistory(tx, {
      instanceId: current.id,
      workflowKey: current.workflowKey,
      action: "cancelled",
      actor,
      reason: input.reason,
      fromStatus: t.from,
      toStatus: t.to,
      details: { cancelledSteps: runs.map((r) => r.stepKey), withdrawnGates: withdrawn },
    });
    await enqueueEvent(tx, "workflow.instance.cancelled", updated!);
    await notify(tx, channels.control, current.id);
    return updated!;
  });
}
