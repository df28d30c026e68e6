import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { gates, instances, workflowDefinitions, type Actor, type Instance, type StepRun, type StepSpec } from "@/db/schema";
import { conflict } from "@/lib/errors";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { transition } from "@/lib/state-machine";
import { parseInput, type Untrusted } from "@/lib/validate";
import { workflowPauseOf } from "@/lib/workflows/workflow-pauses";
import { deadlineOnRetry } from "./clocks";
import { retryInputSchema, type RetryInput } from "./inputs";
import { applyPlan, runsOf } from "./lifecycle/advance";
import { planRetry } from "./lifecycle/plan";
import { lockInstance } from "./lock";
import { reasonTags } from "./reason-tags";

/**
 * Retries a failed instance from its failed step(s), in one transaction (like Temporal's reset or
 * Airflow's clear, under the rules of resume): the instance row locked (or its `expectedVersion`
 * checked), the state machine asked (`retry`: only `failed` → `running`; a timed-out instance is
 * refused), the workflow's pause checked (a paused workflow starts nothing new, and a retry is new
 * work), then:
 * - every step that has runs but neither completed nor a live run (the one that failed, and the
 *   ones the failure cancelled beside it) gets a new run, its attempt counting on from its last;
 * - completed steps, their outputs and the context are kept; gates keep their decisions (a step
 *   behind an approved gate runs without asking again);
 * - steps never reached are queued by the usual rules once their dependencies complete;
 * - the deadline restarts with the time that was left when the instance failed (see clocks.ts);
 * - an instance that failed while paused with its resources released (onPause ran) gets onResume
 *   before the retried step, by the engine's hook rule for any running instance left `released`;
 * - history `retried` (failed → running, with the steps and the reason) and the outbox event
 *   `workflow.instance.retried`, then a wake-up for the workers.
 * A retried run that fails again fails the instance at once: the step's automatic retries were
 * spent before the instance failed; retry again to give it another attempt.
 * Errors (AppError): not_found for an unknown or malformed id; conflict for a stale
 * `expectedVersion`, a status other than failed, a paused workflow, or a failure no step run
 * explains (a rejected or expired gate: its decision stands, so start a new instance).
 */
export async function retryInstance(db: Db, raw: RetryInput | Untrusted, actor: Actor): Promise<Instance> {
  const input = parseInput(retryInputSchema, raw);
  return db.transaction(async (tx) => {
    const current = await lockInstance(tx, input.instanceId, input.expectedVersion);
    const t = transition(current.status, "retry");
    if (!t.ok) throw conflict(t.message);

    // FOR SHARE on the definition, as a start does: a workflow pause committing meanwhile is waited for, then seen.
    const [definition] = await tx.select({ steps: workflowDefinitions.steps }).from(workflowDefinitions).where(eq(workflowDefinitions.id, current.definitionId)).for("share");
    const hold = await workflowPauseOf(tx, current.workflowKey);
    if (hold) throw conflict(`${current.workflowKey} is paused by ${hold.heldByLabel}, so none of its instances starts new work: ${hold.reason}`);
    const specs: StepSpec[] = definition?.steps ?? [];

    const runs: StepRun[] = await runsOf(tx, [current.id]);
    const retry = planRetry(specs, runs);
    if (!retry.steps.length) throw conflict("No failed step to retry: the instance failed at an approval gate, whose decision stands. Start a new instance instead");
    const plan = retry.plan({ status: t.to, currentSteps: [] });
    // A gate is asked once per instance and step (gates_instance_step_idx): one the failure withdrew
    // cannot be asked again, and waiting on it would wait for ever. Refused, not left stuck.
    if (plan.gates.length) {
      const asked = await tx.select({ stepKey: gates.stepKey, status: gates.status }).from(gates).where(and(eq(gates.instanceId, current.id), inArray(gates.stepKey, plan.gates)));
      if (asked.length) throw conflict(`The approval before step "${asked[0]!.stepKey}" was ${asked[0]!.status} when the instance failed, and a gate is asked only once. Start a new instance instead`);
    }

    const now = new Date();
    const [running] = await tx
      .update(instances)
      .set({ status: t.to, error: null, finishedAt: null, dueAt: deadlineOnRetry(current, now), version: sql`${instances.version} + 1`, updatedAt: now })
      .where(eq(instances.id, current.id))
      .returning();
    await appendHistory(tx, {
      instanceId: current.id,
      workflowKey: current.workflowKey,
      action: "retried",
      actor,
      reason: input.reason,
      fromStatus: t.from,
      toStatus: t.to,
      details: { steps: retry.steps.map((s) => ({ step: s.stepKey, attempt: s.attempt })), failedError: current.error, ...reasonTags(input) },
    });
    await enqueueEvent(tx, "workflow.instance.retried", running!);

    // The failed steps' new runs, then whatever the DAG makes ready (gates, checkpoints) by the usual plan.
    const applied = await applyPlan(tx, running!, specs, plan, "exclusive");
    await notify(tx, channels.wake, current.id);
    return applied.instance;
  });
}
