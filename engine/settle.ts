import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instances, type Instance, type StepRun, type StepSpec } from "@/db/schema";
import { channels, type EventType } from "@/lib/events";
import { transition } from "@/lib/state-machine";
import { applyPlan, engineActor, runsOf } from "./advance";
import type { ClaimedRun } from "./claim";
import { chainedRows, type ChainHead } from "./history-batch";
import { planAdvance, type Plan, type StepOutcome } from "./plan";
import { pipelinedTransaction, uuidList, type ReservedSql, type Sql } from "./raw";
import { rowMapper } from "./rows";

export type Connection = { db: Db; sql: Sql };

export type SettleResult = {
  discarded: number;
  drained: string[];
  settled: number;
  /** Successor runs this worker started itself in the settle transaction (see sharedWrites). */
  started: ClaimedRun[];
};

export type SettleOptions = {
  /** How many successors the caller has free slots for and may start directly. */
  startLimit: number;
  leaseMs: number;
};

/** What settling needs to know of a run: whose it is and where it stands. */
type RunState = Pick<StepRun, "id" | "instanceId" | "stepKey" | "status" | "workerId">;

const toInstance = rowMapper(instances);

/**
 * Gates, checkpoints, programmatic pauses and failures stop claims: they need the row FOR UPDATE.
 * A retry also goes this way: its new run may only be inserted after the failed one left the
 * live-run unique index, and the batch statement writes both at once.
 */
const needsExclusive = (p: Plan) => p.gates.length > 0 || p.checkpoint !== null || p.pause !== null || p.fail !== null || p.newRuns.some((r) => r.availableAt !== null);

/**
 * Records what finished steps produced. Most outcomes only advance the DAG (or complete the
 * instance, which leaves nothing to claim); those are written for all instances of the batch in
 * one transaction of two round trips (five statements, BEGIN and COMMIT included), with the instance rows locked `FOR NO KEY UPDATE`, which a
 * claim's `FOR KEY SHARE` does not wait for. An outcome that stops claims (gate, checkpoint,
 * programmatic pause, failure) is settled on its own with the row `FOR UPDATE`, the lock that
 * makes concurrent claims wait and re-check the status.
 * A run no longer `running` under this worker was interrupted, cancelled or taken over: its
 * result is discarded.
 */
export async function settleOutcomes(
  conn: Connection,
  workerId: string,
  outcomes: StepOutcome[],
  specsOf: (instance: Instance) => StepSpec[] | undefined,
  options: SettleOptions = { startLimit: 0, leaseMs: 30_000 },
): Promise<SettleResult> {
  const result: SettleResult = { discarded: 0, drained: [], settled: 0, started: [] };
  if (!outcomes.length) return result;
  // Sorted ids: two batch transactions lock overlapping instances in the same order, never in a cycle.
  const ids = uuidList([...new Set(outcomes.map((o) => o.instanceId))].sort());
  const exclusive: string[] = [];

  await pipelinedTransaction(conn.sql, async ({ c, first, last }) => {
    // The lock is its own statement, first: the next one takes a new snapshot once the locks are
    // held, so it sees every run and history row committed by whoever held them before us.
    const [locked, [read]] = await first([
      c`select * from instances where id = any(${ids}::uuid[]) order by id for no key update`,
      c<{ runs: RunState[]; heads: ChainHead[] }[]>`
        select
          (select coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'instanceId', s.instance_id, 'stepKey', s.step_key, 'status', s.status, 'workerId', s.worker_id) order by s.created_at), '[]')
            from step_runs s where s.instance_id = any(${ids}::uuid[])) as runs,
          (select coalesce(jsonb_agg(jsonb_build_object('instanceId', h.instance_id, 'seq', h.seq, 'hash', h.hash)), '[]')
            from (select distinct on (instance_id) instance_id, seq, hash from history where instance_id = any(${ids}::uuid[]) order by instance_id, seq desc) h) as heads`,
    ] as const);
    const states = read!.runs;
    const batch: { instance: Instance; plan: Plan }[] = [];
    for (const row of locked) {
      const instance = toInstance(row);
      const specs = specsOf(instance);
      const mine = owned(outcomes, states, instance.id, workerId);
      result.discarded += outcomes.filter((o) => o.instanceId === instance.id).length - mine.length;
      if (!specs || !mine.length) continue;
      const plan = planAdvance(
        instance,
        specs,
        states.filter((r) => r.instanceId === instance.id),
        mine,
      );
      if (needsExclusive(plan)) exclusive.push(instance.id);
      else {
        batch.push({ instance, plan });
        result.settled += mine.length;
      }
    }
    if (!batch.length) return;
    const writes = sharedWrites(c, batch, read!.heads, { workerId, ...options });
    const [written] = await last(writes.statements);
    const shared = writes.read(written);
    result.drained.push(...shared.drained);
    result.started.push(...shared.started);
  });

  for (const id of exclusive) {
    await conn.db.transaction(async (tx) => {
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

type Written = { updated: number; finished: number; started: { id: string; instanceId: string; stepKey: string; attempt: number; startedAt: string }[] }[];

/**
 * The shared plans of a batch as one statement of data-modifying CTEs, whose text never changes
 * whatever the batch holds (empty parts are empty jsonb arrays): the finished runs, the queued
 * runs, the instance rows (context merge, current steps, completion), the completions' history
 * rows and events, and the NOTIFY.
 */
function sharedWrites(
  c: ReservedSql,
  batch: { instance: Instance; plan: Plan }[],
  heads: ChainHead[],
  options: SettleOptions & { workerId: string },
) {
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
  const history = chainedRows(
    done.map((row) => ({ instanceId: row.id, workflowKey: row.workflowKey, action: "completed" as const, actor: engineActor, fromStatus: "running" as const, toStatus: row.status })),
    heads,
    now,
  );
  const completedEvent: EventType = "workflow.instance.completed";
  // Only queued (not directly started) runs need another worker's attention.
  const wake = queued.some((r) => !r.start) && batch.some(({ instance, plan }) => plan.newRuns.length && instance.status === "running");

  const statements = [
    c<Written>`
      with finished as (
        -- The id list lets the planner look the rows up by primary key: it cannot estimate a
        -- jsonb_to_recordset and would otherwise hash-join against the whole table.
        update step_runs s set status = v.status::step_run_status, output = v.output, error = v.error, finished_at = clock_timestamp(), lease_expires_at = null
        from jsonb_to_recordset(${JSON.stringify(finished)}::jsonb) as v(id uuid, status text, output jsonb, error text)
        where s.id = v.id and s.id = any(${uuidList(finished.map((f) => f.id))}::uuid[])
        returning 1
      ),
      queued as (
        insert into step_runs (instance_id, step_key, attempt, available_at, status, worker_id, started_at, heartbeat_at, lease_expires_at)
        select v."instanceId", v."stepKey", v.attempt, coalesce(v."availableAt", now()),
          case when v.start then 'running' else 'pending' end::step_run_status,
          case when v.start then ${options.workerId}::text end,
          case when v.start then clock_timestamp() end,
          case when v.start then clock_timestamp() end,
          case when v.start then clock_timestamp() + ${options.leaseMs}::int * interval '1 millisecond' end
        from jsonb_to_recordset(${JSON.stringify(queued)}::jsonb) as v("instanceId" uuid, "stepKey" text, attempt int, "availableAt" timestamptz, start boolean)
        returning id, instance_id, step_key, attempt, status, started_at
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
        where i.id = v.id and i.id = any(${uuidList(rows.map((r) => r.id))}::uuid[])
        returning i.id
      ),
      chained as (
        insert into history (instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
        select v."instanceId", v.seq, v.action::history_action, v."actorId", v."actorLabel", v.reason, v."fromStatus"::instance_status, v."toStatus"::instance_status,
          v.details, v."workflowKey", v."createdAt", v."prevHash", v.hash
        from jsonb_to_recordset(${JSON.stringify(history)}::jsonb) as v("instanceId" uuid, seq int, action text, "actorId" uuid, "actorLabel" text, reason text,
          "fromStatus" text, "toStatus" text, details jsonb, "workflowKey" text, "createdAt" timestamptz, "prevHash" text, hash text)
        returning 1
      ),
      announced as (
        insert into events (type, version, instance_id, payload)
        select ${completedEvent}::text, '1.0.0', v.instance_id, v.payload
        from jsonb_to_recordset(${JSON.stringify(done.map((row) => ({ instance_id: row.id, payload: row })))}::jsonb) as v(instance_id uuid, payload jsonb)
        returning 1
      ),
      woken as (select pg_notify(${channels.wake}::text, '') where ${wake}::boolean)
      select (select count(*) from updated)::int as updated, (select count(*) from finished)::int as finished,
        (select coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'instanceId', q.instance_id, 'stepKey', q.step_key, 'attempt', q.attempt, 'startedAt', q.started_at)), '[]'::jsonb)
          from queued q where q.status = 'running') as started,
        (select count(*) from woken) as woken`,
  ] as const;

  const read = (written: Written) => {
    if (written[0]?.updated !== rows.length || written[0]?.finished !== finished.length) throw new Error("a row vanished under its instance's lock");
    const byId = new Map(batch.map((b) => [b.instance.id, b]));
    const started = (written[0]?.started ?? []).map((r): ClaimedRun => {
      const { instance, plan } = byId.get(r.instanceId)!;
      // The context as this transaction leaves it: the batch's patches merged in, as the UPDATE does.
      return { id: r.id, instanceId: r.instanceId, stepKey: r.stepKey, attempt: r.attempt, definitionId: instance.definitionId, input: instance.input, context: { ...instance.context, ...plan.contextPatch }, startedAt: new Date(r.startedAt) };
    });
    return { drained: batch.filter(({ instance, plan }) => instance.status === "paused" && plan.runningLeft === 0).map(({ instance }) => instance.id), started };
  };
  return { statements, read };
}

function owned(outcomes: StepOutcome[], runs: RunState[], instanceId: string, workerId: string): StepOutcome[] {
  const live = new Set(runs.filter((r) => r.instanceId === instanceId && r.status === "running" && r.workerId === workerId).map((r) => r.id));
  return outcomes.filter((o) => o.instanceId === instanceId && live.has(o.runId));
}
