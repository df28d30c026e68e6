import "server-only";
import { and, eq } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { gates, type Actor, type Instance } from "@/db/schema";
import { enqueueApprovalEvent } from "@/lib/events";
import { appendHistory } from "@/lib/history";

/**
 * Withdraws the instance's pending gates, each with a `gate_withdrawn` history row and a
 * `workflow.approval.withdrawn` event: an ended instance leaves nothing to sign. The caller holds
 * the instance row lock (it extends the instance's history chain).
 *
 * @returns how many gates were withdrawn.
 */
export async function withdrawGates(tx: Tx, instance: Instance, actor: Actor, now = new Date()): Promise<number> {
  const withdrawn = await tx
    .update(gates)
    .set({ status: "withdrawn", decidedAt: now })
    .where(and(eq(gates.instanceId, instance.id), eq(gates.status, "pending")))
    .returning();
  for (const gate of withdrawn) {
    await appendHistory(tx, { instanceId: instance.id, workflowKey: instance.workflowKey, action: "gate_withdrawn", actor, details: { gateId: gate.id, stage: gate.stage } });
    await enqueueApprovalEvent(tx, "workflow.approval.withdrawn", instance.id, { gate });
  }
  return withdrawn.length;
}
