import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { instances, stepRuns, type Actor, type Instance, type StepRun, type StepSpec } from "@/db/schema";
import { requestGate } from "@/lib/gates/request-gate";
import { channels, enqueueEvent, notify, type EventType } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { applyPause } from "@/lib/instances/pause-instance";
import { REASON_MAX } from "@/lib/instances/limits";
import { transition } from "@/lib/state-machine";
import type { ClaimedRun } from "./claim";
import { chainHeads, historyInsert, type ChainHead } from "./history-batch";
import { anyUuid } from "./sql-arrays";
import { changesStatus, isNoop, planAdvance, type Plan, type StepOutcome } from "./plan";

export const engineActor: Actor = { id: null, label: "engine" };

/** How the caller locked the instance row: `exclusive` is FOR UPDATE, needed for any status change. */
type LockMode = "exclusive" | "shared";

export type Applied = { instance: Instance; drained: boolean; newRuns: number };

const runsOf = (tx: Tx, instanceIds: string[]) =>
  tx.select().from(stepRuns).where(anyUuid(stepRuns.instanceId, instanceIds)).orderBy(asc(stepRuns.createdAt));

/** Inserts queued runs from one jsonb parameter: the statement text is the same whatever their number. */
async function insertRuns(tx: Tx, runs: { instanceId: string; stepKey: string; attempt: number; availableAt: Date | null }[]): Promise<void> {
  if (!runs.length) return;
  await tx.execute(sql`
    insert into step_runs (instance_id, step_key, attempt, available_at)
    select v."instanceId", v."stepKey", v.attempt, coalesce(v."availableAt", now())
    from jsonb_to_recordset(${JSON.stringify(runs)}::jsonb) as v("instanceId" uuid, "stepKey" text, attempt int, "availableAt" timestamptz)`);
}

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
      where s.id = v.id and ${anyUuid(sql`s.id`, plan.finished.map((f) => f.runId))}`);
  }
  if (plan.newRuns.length) {
    await insertRuns(tx, plan.newRuns.map((r) => ({ instanceId: current.id, ...r })));
  }
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

export type SettleResult = {
  discarded: number;
  drained: string[];
  settled: number;
  /** Successor runs this worker started itself in the settle transaction (see applyShared). */
  started: ClaimedRun[];
};

export type SettleOptions = {
  /** How many successors the caller has free slots for and may start directly. */
  startLimit: number;
  leaseMs: number;
};

/** Gates, checkpoints, programmatic pauses and failures stop claims: they need the row FOR UPDATE. */
const needsExclusive = (p: Plan) => p.gates.length > 0 || p.checkpoint !== null || p.pause !== null || p.fail !== null;

/**
 * Records what finished steps produced. Most outcomes only advance the DAG (or complete the
 * instance, which leaves nothing to claim); those are written for all instances of the batch in
 * one transaction of a fixed number of statements, with the instance rows locked `FOR NO KEY
 * UPDATE`, which a claim's `FOR KEY SHARE` does not wait for. An outcome that stops claims (gate,
 * checkpoint, programmatic pause, failure) is settled on its own with the row `FOR UPDATE`, the
 * lock that makes concurrent claims wait and re-check the status.
 * A run no longer `running` under this worker was interrupted, cancelled or taken over: its
 * result is discarded.
 */
export async function settleOutcomes(
  db: Db,
  workerId: string,
  outcomes: StepOutcome[],
  specsOf: (instance: Instance) => StepSpec[] | undefined,
  options: SettleOptions = { startLimit: 0, leaseMs: 30_000 },
): Promise<SettleResult> {
  const result: SettleResult = { discarded: 0, drained: [], settled: 0, started: [] };
  if (!outcomes.length) return result;
  const ids = [...new Set(outcomes.map((o) => o.instanceId))].sort();
  const exclusive: string[] = [];

  await db.transaction(async (tx) => {
    // Sorted ids: two batch transactions lock overlapping instances in the same order, never in a cycle.
    // Pipelined (one round trip): postgres.js sends a connection's queries in the order they are
    // started, and these three start in array order through the same drizzle path, so the lock is
    // taken before the runs and heads are read. (Mixing in a raw postgres.js query would break that
    // order: it starts a microtask earlier. A COMMIT pipelined that way once overtook the writes.)
    const [locked, runs, heads] = await Promise.all([
      tx.select().from(instances).where(anyUuid(instances.id, ids)).orderBy(asc(instances.id)).for("no key update"),
      runsOf(tx, ids),
      chainHeads(tx, ids),
    ]);
    const batch: { instance: Instance; plan: Plan }[] = [];
    for (const instance of locked) {
      const specs = specsOf(instance);
      const mine = owned(outcomes, runs, instance.id, workerId);
      result.discarded += outcomes.filter((o) => o.instanceId === instance.id).length - mine.length;
      if (!specs || !mine.length) continue;
      const plan = planAdvance(instance, specs, runs.filter((r) => r.instanceId === instance.id), mine);
      if (needsExclusive(plan)) exclusive.push(instance.id);
      else {
        batch.push({ instance, plan });
        result.settled += mine.length;
      }
    }
    const shared = await applyShared(tx, batch, heads, { workerId, ...options });
    result.drained.push(...shared.drained);
    result.started.push(...shared.started);
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

/**
 * Writes the shared plans of a batch in two pipelined statements, whatever its size: the finished
 * runs, then (one statement of data-modifying CTEs) the queued runs, the instance rows (context
 * merge, current steps, completion), the completions' history rows and events, and the NOTIFY.
 * Returns the paused instances that are now fully drained.
 */
async function applyShared(
  tx: Tx,
  batch: { instance: Instance; plan: Plan }[],
  heads: ChainHead[],
  options: SettleOptions & { workerId: string },
): Promise<{ drained: string[]; started: ClaimedRun[] }> {
  if (!batch.length) return { drained: [], started: [] };
  const now = new Date();
  const finished = batch.flatMap(({ plan }) => plan.finished.map((f) => ({ id: f.runId, status: f.status, output: f.output ?? null, error: f.error })));
  // Successors this worker starts itself, skipping the claim round trip (like a local queue). As
  // safe as a claim, and stricter: this transaction holds the instance row FOR NO KEY UPDATE,
  // which a pause's FOR UPDATE waits for, and it read `running`/`held` under that lock. So either
  // the step starts before a pause commits (and is in flight: the pause drains it), or the pause
  // committed first and the run is only queued.
  let startable = options.startLimit;
  const queued = batch.flatMap(({ instance, plan }) =>
    plan.newRuns.map((r) => {
      const start = startable > 0 && instance.status === "running" && instance.resources === "held" && r.availableAt === null;
      if (start) startable--;
      return { instanceId: instance.id, ...r, start };
    }),
  );

  const done: Instance[] = [];
  const rows = batch.map(({ instance, plan }) => {
    const t = plan.complete ? transition(instance.status, "complete") : null;
    if (t?.ok) {
      // The row as the UPDATE below leaves it: the event's payload, like enqueueEvent's.
      done.push({ ...instance, status: t.to, context: { ...instance.context, ...plan.contextPatch }, currentSteps: [], finishedAt: now, version: instance.version + 1, updatedAt: now });
    }
    return { id: instance.id, patch: plan.contextPatch, current: plan.currentSteps, complete: t?.ok === true };
  });
  const history = historyInsert(
    done.map((row) => ({ instanceId: row.id, workflowKey: row.workflowKey, action: "completed" as const, actor: engineActor, fromStatus: "running" as const, toStatus: row.status })),
    heads,
    now,
  );
  const completedEvent: EventType = "workflow.instance.completed";
  // Only queued (not directly started) runs need another worker's attention.
  const wake = queued.some((r) => !r.start) && batch.some(({ instance, plan }) => plan.newRuns.length && instance.status === "running");

  // Finished runs first: a retry's new run may only be inserted once the failed one left the
  // live-run unique index. Pipelined: sent together, executed in this order.
  const [, written] = await Promise.all([
    finished.length
      ? tx.execute(sql`
          update step_runs s set status = v.status::step_run_status, output = v.output, error = v.error, finished_at = clock_timestamp(), lease_expires_at = null
          from jsonb_to_recordset(${JSON.stringify(finished)}::jsonb) as v(id uuid, status text, output jsonb, error text)
          -- The id list lets the planner look the rows up by primary key: it cannot estimate a
          -- jsonb_to_recordset and would otherwise hash-join against a scan of the whole table.
          where s.id = v.id and ${anyUuid(sql`s.id`, finished.map((f) => f.id))}`)
      : Promise.resolve(null),
    tx.execute<{ updated: number; started: { id: string; instanceId: string; stepKey: string; attempt: number; startedAt: string }[] }>(sql`
      with queued as (
        ${queued.length ? sql`insert into step_runs (instance_id, step_key, attempt, available_at, status, worker_id, started_at, heartbeat_at, lease_expires_at)
          select v."instanceId", v."stepKey", v.attempt, coalesce(v."availableAt", now()),
            case when v.start then 'running' else 'pending' end::step_run_status,
            case when v.start then ${options.workerId} end,
            case when v.start then clock_timestamp() end,
            case when v.start then clock_timestamp() end,
            case when v.start then clock_timestamp() + ${options.leaseMs} * interval '1 millisecond' end
          from jsonb_to_recordset(${JSON.stringify(queued)}::jsonb) as v("instanceId" uuid, "stepKey" text, attempt int, "availableAt" timestamptz, start boolean)
          returning id, instance_id, step_key, attempt, status, started_at` : sql`select null::uuid as id, null::uuid as instance_id, null::text as step_key, 0 as attempt, null::step_run_status as status, null::timestamptz as started_at where false`}
      ),
      updated as (
        -- Step progress bumps neither version (no operator command conflicts with it) nor updated_at
        -- (the instance list's keyset order would reshuffle under the reader at every step, and an
        -- unindexed-only change lets Postgres update the row in place, HOT); completion bumps both.
        update instances i set
          context = case when v.patch = '{}'::jsonb then i.context else i.context || v.patch end,
          current_steps = array(select jsonb_array_elements_text(v.current)),
          status = case when v.complete then 'completed'::instance_status else i.status end,
          finished_at = case when v.complete then ${now.toISOString()}::timestamptz else i.finished_at end,
          version = i.version + case when v.complete then 1 else 0 end,
          updated_at = case when v.complete then ${now.toISOString()}::timestamptz else i.updated_at end
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, patch jsonb, current jsonb, complete boolean)
        where i.id = v.id and ${anyUuid(sql`i.id`, rows.map((r) => r.id))}
        returning i.id
      ),
      chained as (${history ? sql`${history} returning 1` : sql`select 1 where false`}),
      announced as (
        ${done.length ? sql`insert into events (type, version, instance_id, payload)
          select ${completedEvent}, '1.0.0', v.instance_id, v.payload
          from jsonb_to_recordset(${JSON.stringify(done.map((row) => ({ instance_id: row.id, payload: row })))}::jsonb) as v(instance_id uuid, payload jsonb)
          returning 1` : sql`select 1 where false`}
      )
      select (select count(*) from updated)::int as updated,
        (select coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'instanceId', q.instance_id, 'stepKey', q.step_key, 'attempt', q.attempt, 'startedAt', q.started_at)), '[]'::jsonb)
          from queued q where q.status = 'running') as started
        ${wake ? sql`, pg_notify(${channels.wake}, '')` : sql``}`),
  ]);
  if (written[0]?.updated !== rows.length) throw new Error("an instance row vanished under its lock");
  const byId = new Map(batch.map((b) => [b.instance.id, b]));
  const started = (written[0]?.started ?? []).map((r): ClaimedRun => {
    const { instance, plan } = byId.get(r.instanceId)!;
    // The context as this transaction leaves it: the batch's patches merged in, as the UPDATE does.
    return { id: r.id, instanceId: r.instanceId, stepKey: r.stepKey, attempt: r.attempt, definitionId: instance.definitionId, input: instance.input, context: { ...instance.context, ...plan.contextPatch }, startedAt: new Date(r.startedAt) };
  });
  return { drained: batch.filter(({ instance, plan }) => instance.status === "paused" && plan.runningLeft === 0).map(({ instance }) => instance.id), started };
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
