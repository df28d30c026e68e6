import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { instances, stepRuns, workflowDefinitions, type Actor, type Gate, type Instance, type InstanceStatus } from "@/db/schema";
import { conflict } from "@/lib/errors";
import { channels, notify } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { endInstance } from "@/lib/instances/end-instance";
import { passGate } from "@/lib/state-machine";
import { stepsToSkip, unchosenBranches } from "./rules";

/**
 * The gate let the instance through: queue the gated step. A waiting instance runs again; one an
 * operator holds paused keeps its pause, and will continue to the step when resumed (the state
 * machine's passGate decides both). The caller holds the instance lock and records the decision
 * that led here. Throws a conflict for an ended instance, whose gates endInstance withdrew: no
 * step may be queued in it.
 */
export async function continueAfterGate(tx: Tx, instance: Instance, gate: Gate): Promise<{ from: InstanceStatus; to: InstanceStatus }> {
  const t = passGate(instance.status, instance.pausedFromStatus);
  if (!t.ok) throw conflict(t.message);
  const [existing] = await tx
    .select({ id: stepRuns.id })
    .from(stepRuns)
    .where(and(eq(stepRuns.instanceId, instance.id), eq(stepRuns.stepKey, gate.stepKey), inArray(stepRuns.status, ["pending", "running", "completed"])));
  if (!existing) await tx.insert(stepRuns).values({ instanceId: instance.id, stepKey: gate.stepKey });

  if (t.to === t.from && t.pausedFrom === instance.pausedFromStatus) return { from: t.from, to: t.to };
  await tx
    .update(instances)
    .set({
      status: t.to,
      pausedFromStatus: t.pausedFrom,
      // A paused instance's current steps are what it will continue with on resume; it keeps them.
      ...(t.to === "running" ? { currentSteps: [gate.stepKey] } : {}),
      version: sql`${instances.version} + 1`,
      updatedAt: new Date(),
    })
    .where(eq(instances.id, instance.id));
  if (t.to === "running") await notify(tx, channels.wake, instance.id);
  return { from: t.from, to: t.to };
}

/**
 * A rejection or an expiry ends the instance as failed (the default path), through endInstance:
 * its other pending gates withdrawn, live runs cancelled, any hold cleared, a `failed` history row
 * by `actor` and the event. The caller has already marked this gate decided and recorded the
 * decision. Unchanged (from = to) if the state machine refuses.
 */
export async function failAtGate(tx: Tx, instance: Instance, gate: Gate, why: string, actor: Actor, now = new Date()): Promise<{ from: InstanceStatus; to: InstanceStatus }> {
  const ended = await endInstance(tx, instance, {
    command: "fail",
    actor,
    reason: why,
    details: { gateId: gate.id, stage: gate.stage },
    runError: `Instance failed at gate "${gate.stage}"`,
    now,
  });
  return ended.ok ? { from: ended.from, to: ended.to } : { from: instance.status, to: instance.status };
}

/**
 * The branches a passing gate did not take: their steps, and every step downstream that can now
 * only be reached through skipped steps (rules.ts `stepsToSkip`), get a run with status `skipped`,
 * so the planner counts them as done and never queues them, and one `steps_skipped` history row
 * names them, by `actor`, after the decision's own row. The caller holds the instance lock.
 * Returns the skipped keys (empty for a gate without branches).
 */
export async function skipBranches(tx: Tx, instance: Instance, gate: Gate, chosen: { option: string | null } | { expiry: true }, actor: Actor, now = new Date()): Promise<string[]> {
  const left = unchosenBranches(gate, chosen);
  if (!left.length) return [];
  const [definition] = await tx.select({ steps: workflowDefinitions.steps }).from(workflowDefinitions).where(eq(workflowDefinitions.id, instance.definitionId));
  const runs = await tx.select({ stepKey: stepRuns.stepKey }).from(stepRuns).where(eq(stepRuns.instanceId, instance.id));
  const skipped = stepsToSkip(definition?.steps ?? [], left, new Set(runs.map((r) => r.stepKey)));
  if (!skipped.length) return [];
  await tx.insert(stepRuns).values(skipped.map((stepKey) => ({ instanceId: instance.id, stepKey, status: "skipped" as const, finishedAt: now })));
  const taken = "expiry" in chosen ? `the expiry path (step "${gate.expiryStep}")` : chosen.option ? `option "${chosen.option}"` : "approval without a branch";
  await appendHistory(tx, {
    instanceId: instance.id,
    workflowKey: instance.workflowKey,
    action: "steps_skipped",
    actor,
    reason: `Gate "${gate.stage}" took ${taken}; skipped ${skipped.join(", ")}`,
    fromStatus: instance.status,
    toStatus: instance.status,
    details: { gateId: gate.id, stage: gate.stage, option: "expiry" in chosen ? null : chosen.option, steps: skipped },
  });
  return skipped;
}
