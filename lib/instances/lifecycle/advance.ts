/**
 * The instance lifecycle's writes: how an instance starts its steps, advances, waits at gates,
 * pauses at checkpoints and ends. One home for the use cases (startInstance) and the worker
 * (engine/settle.ts, engine/chores.ts): the rules are pure in ./plan.ts, the statements in ./sql/.
 */
import "server-only";
import { asc, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { instances, stepRuns, type Instance, type StepSpec } from "@/db/schema";
import { anyUuid } from "@/db/sql-arrays";
import { engineActor, stepActor } from "@/lib/actors";
import { requestGate } from "@/lib/gates/request-gate";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { endInstance } from "@/lib/instances/end-instance";
import { applyEnginePause } from "@/lib/instances/pause-instance";
import { transition } from "@/lib/state-machine";
import { changesStatus, isNoop, planAdvance, type Plan } from "./plan";
import { finishRuns } from "./sql/finish-runs";
import { insertRuns } from "./sql/insert-runs";
import { reconcileProbe } from "./sql/reconcile-probe";

/** How the caller locked the instance row: `exclusive` is FOR UPDATE, needed for any status change. */
type LockMode = "exclusive" | "shared";

/** What applyPlan left: the instance as written, whether it became fully paused (drained), and how many runs it queued. */
export type AppliedPlan = { instance: Instance; drained: boolean; newRuns: number };

export const runsOf = (tx: Tx, instanceIds: string[]) =>
  tx.select().from(stepRuns).where(anyUuid(stepRuns.instanceId, instanceIds)).orderBy(asc(stepRuns.createdAt));

/**
 * Writes a plan inside the caller's transaction: run results, queued runs, the merged context,
 * then any status change with its history row and event. Status changes demand the exclusive
 * lock; a caller with the shared one must not pass a plan that changes the status.
 */
export async function applyPlan(tx: Tx, current: Instance, specs: StepSpec[], plan: Plan, lock: LockMode): Promise<AppliedPlan> {
  if (lock === "shared" && changesStatus(plan)) throw new Error("a status change needs the instance row FOR UPDATE");
  await finishRuns(tx, plan.finished);
  await insertRuns(tx, plan.newRuns.map((r) => ({ instanceId: current.id, ...r })));
  const patched = Object.keys(plan.contextPatch).length > 0;
  let instance = current;
  if (patched || plan.finished.length || plan.newRuns.length || plan.gates.length) {
    // Step progress is not a change an operator's command could conflict with, so it bumps neither
    // `version` nor `updatedAt`; the status changes below do.
    const [row] = await tx
      .update(instances)
      .set({
        ...(patched ? { context: sql`${instances.context} || ${JSON.stringify(plan.contextPatch)}::jsonb` } : {}),
        currentSteps: plan.currentSteps,
      })
      .where(eq(instances.id, current.id))
      .returning();
    instance = row!;
  }

  if (plan.fail) {
    instance = await failInstance(tx, instance, plan.fail.error, { step: plan.fail.stepKey });
  } else if (plan.complete) {
    const ended = await endInstance(tx, instance, { command: "complete", actor: engineActor });
    if (ended.ok) instance = ended.instance;
  } else {
    if (plan.gates.length) instance = await reachGates(tx, instance, specs, plan.gates);
    // Both are honoured whatever the status is by now (a gate above may have made it wait, an
    // operator may hold it paused): applyEnginePause is the one rule. The checkpoint goes first,
    // so that when a step asks too, the pause ends up naming the step and its reason.
    if (plan.checkpoint) {
      const spec = specs.find((s) => s.key === plan.checkpoint);
      const reason = `Review point before step "${spec?.name ?? plan.checkpoint}": check the work so far, then resume`;
      instance = await applyEnginePause(tx, instance, { kind: "checkpoint", reason, actor: engineActor, stepKey: plan.checkpoint });
    }
    if (plan.pause) {
      instance = await applyEnginePause(tx, instance, { kind: "programmatic", reason: plan.pause.reason, actor: stepActor(plan.pause.stepKey), stepKey: plan.pause.stepKey });
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

/**
 * Ends the instance as failed by the engine (a step out of retries, a poison step), through
 * endInstance like every ending. Returns the row unchanged if the state machine refuses.
 */
export async function failInstance(tx: Tx, instance: Instance, error: string, details: Record<string, unknown> = {}): Promise<Instance> {
  const ended = await endInstance(tx, instance, { command: "fail", actor: engineActor, reason: error, details, runError: "Cancelled: the instance failed" });
  return ended.ok ? ended.instance : instance;
}

/**
 * Brings a running instance with nothing in flight up to date: queues steps that became ready
 * while it was paused or waiting (reaching their gates and checkpoints now), and completes it
 * when every step is done. Cheap to call: it only locks when there is something to do.
 */
export async function reconcileInstance(db: Db, instanceId: string, specsOf: (instance: Instance) => StepSpec[] | undefined): Promise<boolean> {
  if (!(await reconcileProbe(db, instanceId))) return false;
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
