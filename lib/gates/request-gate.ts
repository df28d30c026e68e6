import "server-only";
import type { Tx } from "@/db/client";
import { gates, type Gate, type Instance, type StepSpec } from "@/db/schema";
import { enqueueApprovalEvent } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { eligibleCount } from "./eligible";
import { percentRequired } from "./rules";

/**
 * Opens the approval gate in front of a step; the engine calls it, holding the instance lock,
 * when the step's dependencies are done. Requested on behalf of whoever started the instance,
 * who may therefore never approve it. Idempotent per (instance, step).
 */
export async function requestGate(tx: Tx, instance: Instance, step: StepSpec & { gate: NonNullable<StepSpec["gate"]> }, now = new Date()): Promise<Gate | null> {
  const spec = step.gate;
  const mode = spec.mode ?? ((spec.approvals ?? 1) > 1 ? "n_of_m" : "any");
  const rule = { status: "pending" as const, mode, required: 1, approverRole: spec.approverRole ?? null, approvers: spec.approvers ?? [], groups: spec.groups ?? [], roles: spec.roles ?? [], requestedById: instance.startedById, escalatedAt: null, escalateTo: spec.escalateTo ?? [] };
  // A percent gate's count is a first estimate, shown while it waits; each decision counts again under the lock.
  const required =
    mode === "percent" ? percentRequired(spec.percent ?? 100, await eligibleCount(tx, rule, instance.startedById))
    : mode === "all" ? Math.max(1, spec.approvers?.length ?? 0)
    : mode === "per_role" ? (spec.roles?.length ?? 1)
    : mode === "any" ? 1
    : Math.max(1, spec.approvals ?? 1);
  const expiry = spec.onExpiry ?? "fail";
  const [gate] = await tx
    .insert(gates)
    .values({
      instanceId: instance.id,
      stepKey: step.key,
      stage: spec.stage,
      instructions: spec.instructions ?? "",
      mode,
      required,
      approverRole: spec.approverRole ?? null,
      approvers: spec.approvers ?? [],
      groups: spec.groups ?? [],
      roles: spec.roles ?? [],
      requestedById: instance.startedById,
      requestedByLabel: instance.startedByLabel,
      requestedAt: now,
      expiresAt: spec.expiresAfterMs ? new Date(now.getTime() + spec.expiresAfterMs) : null,
      onExpiry: typeof expiry === "object" ? "step" : expiry,
      expiryStep: typeof expiry === "object" ? expiry.step : null,
      percent: mode === "percent" ? (spec.percent ?? 100) : null,
      form: spec.form ?? null,
      options: spec.options ?? [],
      escalateAt: spec.escalateAfterMs ? new Date(now.getTime() + spec.escalateAfterMs) : null,
      escalateTo: spec.escalateTo ?? [],
      notifyEveryMs: spec.notifyEveryMs ?? null,
      nextReminderAt: spec.notifyEveryMs ? new Date(now.getTime() + spec.notifyEveryMs) : null,
    })
    .onConflictDoNothing()
    .returning();
  if (!gate) return null;
  await appendHistory(tx, {
    instanceId: instance.id,
    workflowKey: instance.workflowKey,
    action: "gate_requested",
    actor: { id: instance.startedById, label: instance.startedByLabel },
    details: { gateId: gate.id, stage: gate.stage, step: step.key, mode, required },
  });
  await enqueueApprovalEvent(tx, "workflow.approval.requested", instance.id, { gate });
  return gate;
}
