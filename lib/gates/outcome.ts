import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { gates, instances, stepRuns, type Actor, type Gate, type Instance, type InstanceStatus } from "@/db/schema";
import { appendHistory } from "@/lib/history";
import { channels, enqueueApprovalEvent, notify } from "@/lib/events";
import { transition } from "@/lib/state-machine";
import { endAsFailed } from "@/engine/advance";

/**
 * The gate let the instance through: queue the gated step. A waiting instance runs again; one an
 * operator holds paused keeps its pause, and will continue to the step when resumed.
 * The caller holds the instance lock and records the decision that led here.
 */
export async function continueAfterGate(tx: Tx, instance: Instance, gate: Gate): Promise<{ from: InstanceStatus; to: InstanceStatus }> {
  const [existing] = await tx
    .select({ id: stepRuns.id })
    .from(stepRuns)
    .where(and(eq(stepRuns.instanceId, instance.id), eq(stepRuns.stepKey, gate.stepKey), inArray(stepRuns.status, ["pending", "running", "completed"])));
  if (!existing) await tx.insert(stepRuns).values({ instanceId: instance.id, stepKey: gate.stepKey });

  if (instance.status === "paused") {
    if (instance.pausedFromStatus === "waiting") {
      await tx.update(instances).set({ pausedFromStatus: "running", version: sql`${instances.version} + 1`, updatedAt: new Date() }).where(eq(instances.id, instance.id));
    }
    return { from: "paused", to: "paused" };
  }
  const t = transition(instance.status, "continue");
  if (!t.ok) return { from: instance.status, to: instance.status };
  await tx
    .update(instances)
    .set({ status: t.to, currentSteps: [gate.stepKey], version: sql`${instances.version} + 1`, updatedAt: new Date() })
    .where(eq(instances.id, instance.id));
  await notify(tx, channels.wake, instance.id);
  return { from: t.from, to: t.to };
}

/** A rejection or an expiry ends the instance as failed (the default path); the caller's decision row records it. */
export async function failAtGate(tx: Tx, instance: Instance, gate: Gate, why: string): Promise<{ from: InstanceStatus; to: InstanceStatus }> {
  const ended = await endAsFailed(tx, instance, why, `Instance failed at gate "${gate.stage}"`);
  return ended ? { from: ended.from, to: ended.to } : { from: instance.status, to: instance.status };
}

/** Cancelling an instance withdraws its pending gates, each with a history row and an event. */
export async function withdrawGates(tx: Tx, instance: Instance, actor: Actor): Promise<number> {
  const withdrawn = await tx
    .update(gates)
    .set({ status: "withdrawn", decidedAt: new Date() })
    .where(and(eq(gates.instanceId, instance.id), eq(gates.status, "pending")))
    .returning();
  for (const gate of withdrawn) {
    await appendHistory(tx, { instanceId: instance.id, workflowKey: instance.workflowKey, action: "gate_withdrawn", actor, details: { gateId: gate.id, stage: gate.stage } });
    await enqueueApprovalEvent(tx, "workflow.approval.withdrawn", instance.id, { gate });
  }
  return withdrawn.length;
}
