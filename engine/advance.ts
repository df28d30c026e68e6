import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { instances, stepRuns, type Actor, type Instance, type StepRun, type StepSpec } from "@/db/schema";
import { requestGate } from "@/lib/gates/request-gate";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { applyPause } from "@/lib/instances/pause-instance";
import { REASON_MAX } from "@/lib/instances/limits";
import { transition } from "@/lib/state-machine";
import { changesStatus, isNoop, planAdvance, type Plan, type StepOutcome } from "./plan";

export const engineActor: Actor = { id: null, label: "engine" };

/** How the caller locked the instance row: `exclusive` is FOR UPDATE, needed for any status change. */
type LockMode = "exclusive" | "shared";

export type Applied = { instance: Instance; drained: boolean; newRuns: number };

const runsOf = (tx: Tx, instanceIds: string[]) =>
  tx.select().from(stepRuns).where(inArray(stepRuns.instanceId, instanceIds)).orderBy(asc(stepRuns.createdAt));

/**
 * Writes a plan inside the caller's transaction: run results, queued runs, the merged context,
 * then any status change with its history row and event. Status changes demand the exclusive
 * lock; a caller with the shared one must not pass a plan that changes the status.
 */
export async function applyPlan(tx: Tx, current: Instance, specs: StepSpec[], plan: Plan, lock: LockMode): Promise<Applied> {
  if (lock === "shared" && changesStatus(plan)) throw new Error("a status change needs the instance row FOR UPDATE");
  const now = new Date();
  if (plan.finished.length) {
    // One statement for all finished runs of the instance.
    await tx.execute(sql`
      update step_runs s set status = v.status::step_run_status, output = v.output, error = v.error, finished_at = clock_timestamp(), lease_expires_at = null
      from jsonb_to_recordset(${JSON.stringify(plan.finished.map((f) => ({ id: f.runId, status: f.status, output: f.output ?? null, error: f.error })))}::jsonb)
        as v(id uuid, status text, output jsonb, error text)
      where s.id = v.id`);
  }
  if (plan.newRuns.length) {
    await tx.insert(stepRuns).values(plan.newRuns.map((r) => ({ instanceId: current.id, stepKey: r.stepKey, attempt: r.attempt, ...(r.availableAt ? { availableAt: r.availableAt } : {}) })));
  }
  const patched = Object.keys(plan.contextPatch).length > 0;
  let instance = current;
  if (patched || plan.finished.length || plan.newRuns.length || plan.gates.length) {
    // Step progress is not a change an operator's command could conflict with, so it does not
    // bump `version`; status changes below do.
    const [row] = await tx
      .update(instances)
      .set({
        ...(patched ? { context: sql`${instances.context} || ${JSON.stringify(plan.contextPatch)}::jsonb` } : {}),
        currentSteps: plan.currentSteps,
        updatedAt: now,
      })
      .where(eq(instances.id, current.id))
      .returning();
    instance = row!;
  }

  if (plan.fail) {
    instance = await failInstance(tx, instance, plan.fail.error, { step: plan.fail.stepKey });
  } else if (plan.complete) {
    const t = transition(instance.status, "complete");
    if (t.ok) {
      const [row] = await tx
        .update(instances)
        .set({ status: t.to, currentSteps: [], finishedAt: now, version: sql`${instances.version} + 1`, updatedAt: now })
        .where(eq(instances.id, instance.id))
        .returning();
      instance = row!;
      await appendHistory(tx, { instanceId: instance.id, workflowKey: instance.workflowKey, action: "completed", actor: engineActor, fromStatus: t.from, toStatus: t.to });
      await enqueueEvent(tx, "workflow.instance.completed", instance);
    }
  } else {
    if (plan.gates.length) instance = await reachGates(tx, instance, specs, plan.gates);
    if (plan.checkpoint && instance.status === "running") {
      const spec = specs.find((s) => s.key === plan.checkpoint);
      const reason = `Review point before step "${spec?.name ?? plan.checkpoint}": check the work so far, then resume`;
      instance = await applyPause(tx, instance, { reason: reason.slice(0, REASON_MAX), mode: "graceful" }, engineActor, "checkpoint");
    }
    if (plan.pause && instance.status === "running") {
      const reason = plan.pause.reason.trim().slice(0, REASON_MAX) || `Paused by step ${plan.pause.stepKey}`;
      instance = await applyPause(tx, instance, { reason, mode: "graceful" }, { id: null, label: `step:${plan.pause.stepKey}` }, "programmatic");
    }
  }

  if (plan.newRuns.length && instance.status === "running") await notify(tx, channels.wake, "");
  const drained = instance.status === "paused" && plan.runningLeft === 0;
  return { instance, drained, newRuns: plan.newRuns.length };
}

/** Gates reached: a running instance waits (history, event), and each gate is opened for its approvers. */
async function reachGates(tx: Tx, instance: Instance, specs: StepSpec[], stepKeys: string[]): Promise<Instance> {
  let current = instance;
  if (current.status === "running") {
    const t = transition(current.status, "wait");
    if (t.ok) {
      const [row] = await tx
        .update(instances)
        .set({ status: t.to, version: sql`${instances.version} + 1`, updatedAt: new Date() })
        .where(eq(instances.id, current.id))
        .returning();
      current = row!;
      await appendHistory(tx, { instanceId: current.id, workflowKey: current.workflowKey, action: "waiting", actor: engineActor, fromStatus: t.from, toStatus: t.to, details: { steps: stepKeys } });
      await enqueueEvent(tx, "workflow.instance.waiting", current);
    }
  }
  for (const key of stepKeys) {
    const spec = specs.find((s) => s.key === key);
    if (spec?.gate) await requestGate(tx, current, { ...spec, gate: spec.gate });
  }
  return current;
}

/** Ends the instance as failed: live runs cancelled (running ones told to stop), history, event. */
export async function failInstance(tx: Tx, instance: Instance, error: string, details: Record<string, unknown> = {}): Promise<Instance> {
  const t = transition(instance.status, "fail");
  if (!t.ok) return instance;
  const now = new Date();
  const cancelled = await tx
    .update(stepRuns)
    .set({ status: "cancelled", finishedAt: now, leaseExpiresAt: null, error: "Cancelled: the instance failed" })
    .where(and(eq(stepRuns.instanceId, instance.id), inArray(stepRuns.status, ["pending", "running"])))
    .returning({ status: stepRuns.status });
  const [row] = await tx
    .update(instances)
    .set({ status: t.to, error: error.slice(0, 2000), currentSteps: [], finishedAt: now, resumeAt: null, version: sql`${instances.version} + 1`, updatedAt: now })
    .where(eq(instances.id, instance.id))
    .returning();
  await appendHistory(tx, { instanceId: instance.id, workflowKey: instance.workflowKey, action: "failed", actor: engineActor, reason: error.slice(0, 2000), fromStatus: t.from, toStatus: t.to, details });
  await enqueueEvent(tx, "workflow.instance.failed", row!);
  if (cancelled.length) await notify(tx, channels.control, instance.id);
  return row!;
}

export type SettleResult = { discarded: number; drained: string[]; settled: number };

/**
 * Records what finished steps produced. Most outcomes only advance the DAG; those are written
 * for many instances in one transaction that locks the instance rows `FOR NO KEY UPDATE`, which
 * a claim's `FOR KEY SHARE` does not wait for. An outcome that changes an instance's status
 * (gate, checkpoint, programmatic pause, completion, failure) is settled on its own with the row
 * `FOR UPDATE`, the lock that makes concurrent claims wait and re-check the status.
 * A run no longer `running` under this worker was interrupted, cancelled or taken over: its
 * result is discarded.
 */
export async function settleOutcomes(
  db: Db,
  workerId: string,
  outcomes: StepOutcome[],
  specsOf: (instance: Instance) => StepSpec[] | undefined,
): Promise<SettleResult> {
  const result: SettleResult = { discarded: 0, drained: [], settled: 0 };
  if (!outcomes.length) return result;
  const ids = [...new Set(outcomes.map((o) => o.instanceId))].sort();
  const exclusive: string[] = [];

  await db.transaction(async (tx) => {
    // Sorted ids: two batch transactions lock overlapping instances in the same order, never in a cycle.
    const locked = await tx.select().from(instances).where(inArray(instances.id, ids)).orderBy(asc(instances.id)).for("no key update");
    const runs = await runsOf(tx, ids);
    for (const instance of locked) {
      const specs = specsOf(instance);
      const mine = owned(outcomes, runs, instance.id, workerId);
      result.discarded += outcomes.filter((o) => o.instanceId === instance.id).length - mine.length;
      if (!specs || !mine.length) continue;
      const plan = planAdvance(instance, specs, runs.filter((r) => r.instanceId === instance.id), mine);
      if (changesStatus(plan)) {
        exclusive.push(instance.id);
        continue;
      }
      const applied = await applyPlan(tx, instance, specs, plan, "shared");
      result.settled += mine.length;
      if (applied.drained) result.drained.push(instance.id);
    }
  });

  for (const id of exclusive) {
    await db.transaction(async (tx) => {
      const [instance] = await tx.select().from(instances).where(eq(instances.id, id)).for("update");
      const specs = instance && specsOf(instance);
      if (!instance || !specs) return;
      const runs = await runsOf(tx, [id]);
      const mine = owned(outcomes, runs, id, workerId);
      result.discarded += outcomes.filter((o) => o.instanceId === id).length - mine.length;
      if (!mine.length) return;
      const applied = await applyPlan(tx, instance, specs, planAdvance(instance, specs, runs, mine), "exclusive");
      result.settled += mine.length;
      if (applied.drained) result.drained.push(id);
    });
  }
  return result;
}

function owned(outcomes: StepOutcome[], runs: StepRun[], instanceId: string, workerId: string): StepOutcome[] {
  const live = new Map(runs.filter((r) => r.instanceId === instanceId && r.status === "running" && r.workerId === workerId).map((r) => [r.id, r]));
  return outcomes.filter((o) => o.instanceId === instanceId && live.has(o.runId));
}

/**
 * Brings a running instance with nothing in flight up to date: queues steps that became ready
 * while it was paused or waiting (reaching their gates and checkpoints now), and completes it
 * when every step is done. Cheap to call: it only locks when there is something to do.
 */
export async function reconcileInstance(db: Db, instanceId: string, specsOf: (instance: Instance) => StepSpec[] | undefined): Promise<boolean> {
  const [probe] = await db.execute<{ due: boolean }>(sql`
    select i.status = 'running' and not exists (select 1 from step_runs s where s.instance_id = i.id and s.status in ('pending', 'running')) as due
    from instances i where i.id = ${instanceId}`);
  if (!probe?.due) return false;
  return db.transaction(async (tx) => {
    const [instance] = await tx.select().from(instances).where(eq(instances.id, instanceId)).for("update");
    const specs = instance && specsOf(instance);
    if (!instance || !specs || instance.status !== "running") return false;
    const runs = await runsOf(tx, [instanceId]);
    const plan = planAdvance(instance, specs, runs, []);
    if (isNoop(plan)) return false;
    await applyPlan(tx, instance, specs, plan, "exclusive");
    return true;
  });
}

/** Steps with no dependencies, queued (or gated, or checkpointed) for a new instance inside its start transaction. */
export async function scheduleRoots(tx: Tx, instance: Instance, specs: StepSpec[]): Promise<Instance> {
  const plan = planAdvance(instance, specs, [], []);
  const applied = await applyPlan(tx, instance, specs, plan, "exclusive");
  return applied.instance;
}
