import "server-only";
import { and, eq, isNull, lte, not } from "drizzle-orm";
import type { Db } from "@/db/client";
import { gates, instances } from "@/db/schema";
import { enqueueApprovalEvent } from "@/lib/events";
import { clockActor } from "@/lib/actors";
import { appendHistory } from "@/lib/history";
import { clocksStopped, readClocks } from "@/lib/instances/clocks";
import { log } from "@/lib/log";
import { isTerminal } from "@/lib/state-machine";
import { lockGate } from "./lock-gate";
import { continueAfterGate, failAtGate, skipBranches } from "./outcome";
import { withdrawGates } from "./withdraw-gates";

/**
 * Expires gates past their deadline (failing the instance, or continuing when the gate says so)
 * and escalates gates past their escalation time. A gate of a fully paused instance does neither:
 * its clocks are stopped and move on resume (see clocks.ts); one of a draining instance does.
 * The worker calls it on every tick; each gate is handled in its own transaction and rechecked
 * under the instance and gate locks (its state, its time, the instance's clocks), so several
 * workers may sweep.
 */
export async function sweepGates(db: Db, now = new Date()): Promise<{ expired: number; escalated: number }> {
  const due = await db
    .select({ id: gates.id })
    .from(gates)
    .innerJoin(instances, eq(instances.id, gates.instanceId))
    .where(and(eq(gates.status, "pending"), lte(gates.expiresAt, now), not(clocksStopped)))
    .limit(100);
  let expired = 0;
  for (const { id } of due) {
    const done = await db.transaction(async (tx) => {
      const { instance, gate } = await lockGate(tx, id);
      if (gate.status !== "pending" || !gate.expiresAt || gate.expiresAt > now) return false;
      // A gate left pending by an instance that ended before endInstance withdrew gates: withdraw it now.
      if (isTerminal(instance.status)) {
        await withdrawGates(tx, instance, clockActor, now);
        return false;
      }
      if ((await readClocks(tx, instance.id)).stopped) return false;
      // An expiry to a step takes that branch: the option leading there (if people could choose it too) is the gate's chosen one.
      const passes = gate.onExpiry !== "fail";
      const branch = gate.onExpiry === "step" ? { chosenOption: gate.options.find((o) => o.next === gate.expiryStep)?.name ?? null } : {};
      const [updated] = await tx.update(gates).set({ status: "expired", decidedAt: now, ...branch }).where(eq(gates.id, id)).returning();
      const move = passes ? await continueAfterGate(tx, instance, updated!) : { from: instance.status, to: instance.status };
      const then = gate.onExpiry === "step" ? `going to step "${gate.expiryStep}"` : gate.onExpiry === "continue" ? "continuing" : "failing the instance";
      await appendHistory(tx, {
        instanceId: instance.id,
        workflowKey: instance.workflowKey,
        action: "gate_expired",
        actor: clockActor,
        reason: `No decision by ${gate.expiresAt.toISOString()}; ${then}`,
        fromStatus: move.from,
        toStatus: move.to,
        details: { gateId: id, stage: gate.stage, onExpiry: gate.onExpiry, ...(gate.expiryStep ? { expiryStep: gate.expiryStep } : {}) },
      });
      if (passes) await skipBranches(tx, { ...instance, status: move.to }, updated!, gate.onExpiry === "step" ? { expiry: true } : { option: null }, clockActor, now);
      // The expiry first; a failing instance's `failed` row (endInstance's, like every ending's) follows it.
      if (!passes) await failAtGate(tx, instance, updated!, `Gate "${gate.stage}" expired without a decision`, clockActor, now);
      await enqueueApprovalEvent(tx, "workflow.approval.expired", instance.id, { gate: updated });
      return true;
    });
    if (done) expired++;
  }

  const toEscalate = await db
    .select({ id: gates.id })
    .from(gates)
    .innerJoin(instances, eq(instances.id, gates.instanceId))
    .where(and(eq(gates.status, "pending"), lte(gates.escalateAt, now), isNull(gates.escalatedAt), not(clocksStopped)))
    .limit(100);
  let escalated = 0;
  for (const { id } of toEscalate) {
    const done = await db.transaction(async (tx) => {
      const { instance, gate } = await lockGate(tx, id);
      // The escalation time too: a resume may have moved it on since the read above.
      if (gate.status !== "pending" || gate.escalatedAt || !gate.escalateAt || gate.escalateAt > now) return false;
      if ((await readClocks(tx, instance.id)).stopped) return false;
      const [updated] = await tx.update(gates).set({ escalatedAt: now }).where(eq(gates.id, id)).returning();
      await appendHistory(tx, {
        instanceId: instance.id,
        workflowKey: instance.workflowKey,
        action: "gate_escalated",
        actor: clockActor,
        reason: gate.escalateTo.length ? `Waiting too long; now also open to ${gate.escalateTo.join(", ")}` : "Waiting too long",
        details: { gateId: id, stage: gate.stage, escalateTo: gate.escalateTo },
      });
      await enqueueApprovalEvent(tx, "workflow.approval.escalated", instance.id, { gate: updated });
      return true;
    });
    if (done) escalated++;
  }
  if (expired || escalated) log.info({ expired, escalated }, "gate sweep");
  return { expired, escalated };
}
