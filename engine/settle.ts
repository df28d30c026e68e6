import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instances, type Instance, type StepRun, type StepSpec } from "@/db/schema";
import { channels, type EventType } from "@/lib/events";
import { endedColumns } from "@/lib/instances/end-instance";
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
  /** Successor runs this worker started itself in the settle (see batchWrite). */
  started: ClaimedRun[];
  /** Outcomes settled from what the worker already knew, in one round trip (see KnownStates). */
  fromKnown: number;
  /**
   * Why the rest could not be recorded, if it could not: those runs stay `running` in the
   * database, their leases expire and they run again. What was recorded before (and the runs it
   * started) stands, so the caller must still execute `started`.
   */
  failure?: unknown;
};

export type SettleOptions = {
  /** How many successors the caller has free slots for and may start directly. */
  startLimit: number;
  leaseMs: number;
};

/** What settling needs to know of a run: whose it is and where it stands. */
type RunState = Pick<StepRun, "id" | "instanceId" | "stepKey" | "status" | "workerId">;

/**
 * What this worker's own last settle of a running instance left behind: the row, its runs, its
 * history head, and the row version (xmin) that settle wrote. While that version is still the
 * row's, nothing has changed the instance since (every command, every other settle, every gate
 * and hook decision updates the row), so the next step of it can be planned from this without
 * reading anything, and written in one statement that first checks the version under the row
 * lock: one round trip instead of two.
 */
export type KnownState = { instance: Instance; runs: RunState[]; head: ChainHead | null; rowVersion: string };
export type KnownStates = Map<string, KnownState>;
/** A safety net: entries live only while the worker has a run of the instance in flight (see remember). */
const KNOWN_MAX = 10_000;

type Planned = { instance: Instance; plan: Plan; runs: RunState[]; head: ChainHead | null; rowVersion: string };

const toInstance = rowMapper(instances);

/**
 * Gates, checkpoints, programmatic pauses and failures stop claims: they need the row FOR UPDATE.
 * planAdvance carries a step's pause request and reaches checkpoints whatever the status (running,
 * waiting, paused), so they always come this way, to applyPlan and applyEnginePause: the batch
 * statement writes no status change but completion and so can never drop one.
 * A retry also goes this way: its new run may only be inserted after the failed one left the
 * live-run unique index, and the batch statement writes both at once.
 */
const needsExclusive = (p: Plan) => p.gates.length > 0 || p.checkpoint !== null || p.pause !== null || p.fail !== null || p.newRuns.some((r) => r.availableAt !== null);

/**
 * Records what finished steps produced. Most outcomes only advance the DAG (or complete the
 * instance, which leaves nothing to claim); those are written for all instances of the batch by
 * one statement, under the instance rows locked `FOR NO KEY UPDATE`, which a claim's
 * `FOR KEY SHARE` does not wait for:
 * - from what this worker knows of the instance (see KnownState): the statement alone, one round trip;
 * - otherwise in a transaction that first locks and reads the rows: two round trips.
 * An outcome that stops claims (gate, checkpoint, programmatic pause, failure) is settled on its
 * own with the row `FOR UPDATE`, the lock that makes concurrent claims wait and re-check the status.
 * A run no longer `running` under this worker was interrupted, cancelled or taken over: its
 * result is discarded.
 */
export async function settleOutcomes(
  conn: Connection,
  workerId: string,
  outcomes: StepOutcome[],
  specsOf: (instance: Instance) => StepSpec[] | undefined,
  options: SettleOptions = { startLimit: 0, leaseMs: 30_000 },
  known: KnownStates = new Map(),
): Promise<SettleResult> {
  const result: SettleResult = { discarded: 0, drained: [], settled: 0, started: [], fromKnown: 0 };
  if (!outcomes.length) return result;
  let startLimit = options.startLimit;
  let pending = outcomes;

  const guessed = fromKnown(outcomes, known, specsOf, workerId);
  if (guessed.length) {
    const write = batchWrite(conn.sql, guessed, { workerId, leaseMs: options.leaseMs, startLimit });
    // Written alone, the statement is its own transaction: when it fails (a run taken over, a
    // history head moved, a deadlock) it wrote nothing, and the read path below settles afresh.
    const written = await write.statement.catch(() => null);
    const applied = written && write.read(written);
    if (applied) {
      const settledIds = new Set(guessed.map((g) => g.instance.id));
      pending = outcomes.filter((o) => !settledIds.has(o.instanceId));
      result.settled += outcomes.length - pending.length;
      result.fromKnown += outcomes.length - pending.length;
      result.started.push(...applied.started);
      startLimit -= applied.started.length;
      remember(known, guessed, applied, workerId);
    } else {
      for (const g of guessed) known.delete(g.instance.id);
    }
  }
  if (!pending.length) return result;
  try {
    await settleRead(conn, workerId, pending, specsOf, { ...options, startLimit }, known, result);
  } catch (error) {
    result.failure = error;
  }
  return result;
}

/** The two-round-trip path and the exclusive one, for the outcomes the known state did not settle. */
async function settleRead(
  conn: Connection,
  workerId: string,
  pending: StepOutcome[],
  specsOf: (instance: Instance) => StepSpec[] | undefined,
  options: SettleOptions,
  known: KnownStates,
  result: SettleResult,
): Promise<void> {
  const startLimit = options.startLimit;
  // Sorted ids: two batch transactions lock overlapping instances in the same order, never in a cycle.
  const ids = uuidList([...new Set(pending.map((o) => o.instanceId))].sort());
  let exclusive: string[] = [];
  // Retried on its own on a deadlock or serialization failure (what the one-round-trip path
  // settled and started above must not be settled again); what it found counts once it committed.
  const read = await retrying(() => pipelinedTransaction(conn.sql, async ({ c, first, last }) => {
    const found = { discarded: 0, settled: 0, drained: [] as string[], started: [] as ClaimedRun[] };
    exclusive = [];
    // The lock is its own statement, first: the next one takes a new snapshot once the locks are
    // held, so it sees every run and history row committed by whoever held them before us.
    const [locked, [read]] = await first([
      c`select *, xmin::text as row_version from instances where id = any(${ids}::uuid[]) order by id for no key update`,
      c<{ runs: RunState[]; heads: ChainHead[] }[]>`
        select
          (select coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'instanceId', s.instance_id, 'stepKey', s.step_key, 'status', s.status, 'workerId', s.worker_id) order by s.created_at), '[]')
            from step_runs s where s.instance_id = any(k.ids)) as runs,
          (select coalesce(jsonb_agg(jsonb_build_object('instanceId', h.instance_id, 'seq', h.seq, 'hash', h.hash)), '[]')
            from (select distinct on (instance_id) instance_id, seq, hash from history where instance_id = any(k.ids) order by instance_id, seq desc) h) as heads
        from (select ${ids}::uuid[] as ids) k`,
    ] as const);
    const states = read!.runs;
    const batch: Planned[] = [];
    for (const row of locked) {
      const instance = toInstance(row);
      const specs = specsOf(instance);
      const mine = owned(pending, states, instance.id, workerId);
      found.discarded += pending.filter((o) => o.instanceId === instance.id).length - mine.length;
      known.delete(instance.id);
      if (!specs || !mine.length) continue;
      const runs = states.filter((r) => r.instanceId === instance.id);
      const plan = planAdvance(instance, specs, runs, mine);
      if (needsExclusive(plan)) exclusive.push(instance.id);
      else {
        const head = read!.heads.find((h) => h.instanceId === instance.id) ?? null;
        batch.push({ instance, plan, runs, head, rowVersion: String((row as { row_version: string }).row_version) });
        found.settled += mine.length;
      }
    }
    if (!batch.length) return found;
    // The same statement as the one-round-trip path: the versions it checks are the ones just
    // read under the locks this transaction holds, so the check passes.
    const write = batchWrite(c, batch, { workerId, leaseMs: options.leaseMs, startLimit });
    const [written] = await last([write.statement] as const);
    const applied = write.read(written);
    if (!applied) throw new Error("the instance rows changed under this transaction's own locks");
    found.drained.push(...applied.drained);
    found.started.push(...applied.started);
    remember(known, batch, applied, workerId);
    return found;
  }));
  result.discarded += read.discarded;
  result.settled += read.settled;
  result.drained.push(...read.drained);
  result.started.push(...read.started);

  for (const id of exclusive) {
    await retrying(() => conn.db.transaction(async (tx) => {
      const [instance] = await tx.select().from(instances).where(eq(instances.id, id)).for("update");
      const specs = instance && specsOf(instance);
      if (!instance || !specs) return;
      const runs = await runsOf(tx, [id]);
      const mine = owned(pending, runs, id, workerId);
      result.discarded += pending.filter((o) => o.instanceId === id).length - mine.length;
      if (!mine.length) return;
      const applied = await applyPlan(tx, instance, specs, planAdvance(instance, specs, runs, mine), "exclusive");
      result.settled += mine.length;
      if (applied.drained) result.drained.push(id);
    }));
  }
}

/**
 * Plans from known state the instances whose every outcome is a run this worker holds there, and
 * whose plan needs no exclusive lock. Anything else is left to the read path: one stale guess
 * costs a round trip, so only clean cases are guessed.
 */
function fromKnown(outcomes: StepOutcome[], known: KnownStates, specsOf: (instance: Instance) => StepSpec[] | undefined, workerId: string): Planned[] {
  if (!known.size) return [];
  const byInstance = new Map<string, StepOutcome[]>();
  for (const o of outcomes) byInstance.set(o.instanceId, [...(byInstance.get(o.instanceId) ?? []), o]);
  const planned: Planned[] = [];
  for (const [id, outs] of byInstance) {
    const state = known.get(id);
    if (!state) continue;
    const specs = specsOf(state.instance);
    if (!specs || state.instance.status !== "running" || owned(outs, state.runs, id, workerId).length !== outs.length) {
      known.delete(id);
      continue;
    }
    const plan = planAdvance(state.instance, specs, state.runs, outs);
    if (needsExclusive(plan)) continue;
    planned.push({ instance: state.instance, plan, runs: state.runs, head: state.head, rowVersion: state.rowVersion });
  }
  return planned;
}

type Applied = { started: ClaimedRun[]; drained: string[]; inserted: RunState[]; versions: Map<string, string> };

/** After a write: what each instance now is, for the next settle of it to start from (or forget it once finished). */
function remember(known: KnownStates, batch: Planned[], applied: Applied, workerId: string): void {
  if (known.size > KNOWN_MAX) known.clear();
  for (const { instance, plan, runs, head } of batch) {
    const rowVersion = applied.versions.get(instance.id);
    const ended = new Map(plan.finished.map((f) => [f.runId, f.status]));
    const now = [...runs.map((r) => (ended.has(r.id) ? { ...r, status: ended.get(r.id)! } : r)), ...applied.inserted.filter((r) => r.instanceId === instance.id)];
    // Kept only while one of this worker's runs of it is in flight: its outcome is the only
    // thing that will ever consult the entry, so the map stays as small as the worker's concurrency.
    const inFlightHere = now.some((r) => r.status === "running" && r.workerId === workerId);
    if (plan.complete || !rowVersion || instance.status !== "running" || !inFlightHere) {
      known.delete(instance.id);
      continue;
    }
    known.set(instance.id, {
      instance: { ...instance, context: { ...instance.context, ...plan.contextPatch }, currentSteps: plan.currentSteps },
      runs: now,
      head,
      rowVersion,
    });
  }
}

type Written = {
  ok: boolean;
  inserted: { id: string; instanceId: string; stepKey: string; attempt: number; status: StepRun["status"]; startedAt: string | null }[];
  versions: [string, string][];
}[];

/**
 * The plans of a batch as one statement of data-modifying CTEs, whose text never changes
 * whatever the batch holds (empty parts are empty jsonb arrays). It first locks the instance rows
 * and checks they are still the versions the plans were made from; only then does it write the
 * finished runs, the queued runs, the instance rows (context merge, current steps, completion),
 * the completions' history rows and events, and the NOTIFY. If a version moved it writes nothing
 * and says so (`ok` false). If a run it finishes is no longer this worker's, it raises, which
 * undoes everything it wrote.
 */
function batchWrite(c: Sql | ReservedSql, batch: Planned[], options: SettleOptions & { workerId: string }) {
  const now = new Date();
  // The inputs travel as positional jsonb arrays, not objects: a batch's parameters then usually
  // stay under the 1 KiB at which postgres.js writes a message out on its own, so a COMMIT
  // goes out in the same write as the statement (a socket write costs far more here than bytes do).
  const expect = batch.map(({ instance, rowVersion }) => [instance.id, rowVersion] as const);
  const finished = batch.flatMap(({ plan }) => plan.finished.map((f) => [f.runId, f.status, f.output ?? null, f.error] as const));
  // Successors this worker starts itself, skipping the claim round trip (like a local queue). As
  // safe as a claim, and stricter: the statement holds the instance row FOR NO KEY UPDATE, which a
  // pause's FOR UPDATE waits for, and the row it checked is `running`/`held` (the plan's version).
  // So either the step starts before a pause commits (and is in flight: the pause drains it), or
  // the pause committed first, the version moved, and nothing is written.
  let startable = options.startLimit;
  const queued = batch.flatMap(({ instance, plan }) =>
    plan.newRuns.map((r) => {
      // Delayed runs (retries) are settled on the exclusive path; these are ready now.
      if (r.availableAt !== null) throw new Error("a delayed run reached the batch path");
      const start = startable > 0 && instance.status === "running" && instance.resources === "held";
      if (start) startable--;
      return [instance.id, r.stepKey, r.attempt, start] as const;
    }),
  );

  const done: Instance[] = [];
  const rows = batch.map(({ instance, plan }) => {
    const t = plan.complete ? transition(instance.status, "complete") : null;
    if (t?.ok) {
      // The row as the UPDATE below leaves it: the event's payload, like endInstance's.
      done.push({ ...instance, context: { ...instance.context, ...plan.contextPatch }, ...endedColumns(t.to, now, null), version: instance.version + 1 });
    }
    return [instance.id, plan.contextPatch, plan.currentSteps, t?.ok === true] as const;
  });
  const history = chainedRows(
    done.map((row) => ({ instanceId: row.id, workflowKey: row.workflowKey, action: "completed" as const, actor: engineActor, fromStatus: "running" as const, toStatus: row.status })),
    batch.flatMap(({ head }) => (head ? [head] : [])),
    now,
  );
  const completedEvent: EventType = "workflow.instance.completed";
  // Only queued (not directly started) runs need another worker's attention.
  const wake = queued.some(([, , , start]) => !start) && batch.some(({ instance, plan }) => plan.newRuns.length && instance.status === "running");

  const statement = c<Written>`
    with e as (
      select (x->>0)::uuid as id, x->>1 as row_version from jsonb_array_elements(${JSON.stringify(expect)}::jsonb) x
    ),
    locked as (
      select i.id, i.xmin::text as row_version from instances i where i.id = any(array(select id from e)) order by i.id for no key update
    ),
    ok as (
      select (select count(*) from locked l join e on e.id = l.id and e.row_version = l.row_version) = (select count(*) from e) as ok
    ),
    f as (
      select (x->>0)::uuid as id, (x->>1)::step_run_status as status, nullif(x->2, 'null'::jsonb) as output, x->>3 as error
      from jsonb_array_elements(${JSON.stringify(finished)}::jsonb) x
    ),
    finished as (
      -- The id array lets the planner look the rows up by primary key: it cannot estimate a
      -- jsonb function's rows and would otherwise hash-join against the whole table.
      update step_runs s set status = f.status, output = f.output, error = f.error, finished_at = clock_timestamp(), lease_expires_at = null
      from f
      where s.id = f.id and s.id = any(array(select id from f)) and s.status = 'running' and s.worker_id = ${options.workerId}::text and (select ok from ok)
      returning 1
    ),
    queued as (
      insert into step_runs (instance_id, step_key, attempt, available_at, status, worker_id, started_at, heartbeat_at, lease_expires_at)
      select (x->>0)::uuid, x->>1, (x->>2)::int, now(),
        case when (x->>3)::boolean then 'running' else 'pending' end::step_run_status,
        case when (x->>3)::boolean then ${options.workerId}::text end,
        case when (x->>3)::boolean then clock_timestamp() end,
        case when (x->>3)::boolean then clock_timestamp() end,
        case when (x->>3)::boolean then clock_timestamp() + ${options.leaseMs}::int * interval '1 millisecond' end
      from jsonb_array_elements(${JSON.stringify(queued)}::jsonb) x
      where (select ok from ok)
      returning id, instance_id, step_key, attempt, status, started_at
    ),
    v as (
      select (x->>0)::uuid as id, x->1 as patch, x->2 as current, (x->>3)::boolean as complete, ${now.toISOString()}::timestamptz as now
      from jsonb_array_elements(${JSON.stringify(rows)}::jsonb) x
    ),
    updated as (
      -- Step progress bumps neither version (no operator command conflicts with it) nor updated_at
      -- (the instance list's keyset order would reshuffle under the reader at every step, and an
      -- unindexed-only change lets Postgres update the row in place, HOT); completion bumps both.
      -- A completion writes what every ending writes (endedColumns in lib/instances/end-instance.ts;
      -- test/integration/end-instance.test.ts compares the two column by column). The rest of
      -- endInstance has nothing to do here: a plan completes only when every step has a completed
      -- run, so no run of the instance is live and no gate pending (a gated step runs only once
      -- its gate is decided).
      update instances i set
        context = case when v.patch = '{}'::jsonb then i.context else i.context || v.patch end,
        current_steps = array(select jsonb_array_elements_text(v.current)),
        status = case when v.complete then 'completed'::instance_status else i.status end,
        finished_at = case when v.complete then v.now else i.finished_at end,
        version = i.version + case when v.complete then 1 else 0 end,
        updated_at = case when v.complete then v.now else i.updated_at end,
        error = case when v.complete then null else i.error end,
        resume_at = case when v.complete then null else i.resume_at end,
        paused_at = case when v.complete then null else i.paused_at end,
        paused_by_id = case when v.complete then null else i.paused_by_id end,
        paused_by_label = case when v.complete then null else i.paused_by_label end,
        pause_reason = case when v.complete then null else i.pause_reason end,
        pause_category = case when v.complete then null else i.pause_category end,
        pause_ticket_url = case when v.complete then null else i.pause_ticket_url end,
        pause_mode = case when v.complete then null else i.pause_mode end,
        pause_kind = case when v.complete then null else i.pause_kind end,
        paused_from_status = case when v.complete then null else i.paused_from_status end,
        hook_lease_expires_at = case when v.complete then null else i.hook_lease_expires_at end,
        hook_worker_id = case when v.complete then null else i.hook_worker_id end
      from v where i.id = v.id and i.id = any(array(select id from v)) and (select ok from ok)
      returning i.id, i.xmin::text as row_version
    ),
    chained as (
      insert into history (instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
      select v."instanceId", v.seq, v.action::history_action, v."actorId", v."actorLabel", v.reason, v."fromStatus"::instance_status, v."toStatus"::instance_status,
        v.details, v."workflowKey", v."createdAt", v."prevHash", v.hash
      from jsonb_to_recordset(${JSON.stringify(history)}::jsonb) as v("instanceId" uuid, seq int, action text, "actorId" uuid, "actorLabel" text, reason text,
        "fromStatus" text, "toStatus" text, details jsonb, "workflowKey" text, "createdAt" timestamptz, "prevHash" text, hash text)
      where (select ok from ok)
      returning 1
    ),
    announced as (
      insert into events (type, version, instance_id, payload)
      select ${completedEvent}::text, '1.0.0', v.instance_id, v.payload
      from jsonb_to_recordset(${JSON.stringify(done.map((row) => ({ instance_id: row.id, payload: row })))}::jsonb) as v(instance_id uuid, payload jsonb)
      where (select ok from ok)
      returning 1
    ),
    woken as (select pg_notify(${channels.wake}::text, '') where ${wake}::boolean and (select ok from ok))
    select (select ok from ok) as ok,
      flowgate_assert(
        not (select ok from ok) or ((select count(*) from finished) = ${finished.length}::int and (select count(*) from updated) = ${rows.length}::int),
        'a run or instance of the batch changed under its plan') as checked,
      (select coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'instanceId', q.instance_id, 'stepKey', q.step_key, 'attempt', q.attempt, 'status', q.status, 'startedAt', q.started_at)), '[]'::jsonb)
        from queued q) as inserted,
      (select coalesce(jsonb_agg(jsonb_build_array(u.id, u.row_version)), '[]'::jsonb) from updated u) as versions,
      (select count(*) from woken) as woken`;

  /** What the statement did, or null if a version had moved and it wrote nothing. */
  const read = (written: Written): Applied | null => {
    const [row] = written;
    if (!row?.ok) return null;
    const byId = new Map(batch.map((b) => [b.instance.id, b]));
    const started = row.inserted
      .filter((r) => r.status === "running")
      .map((r): ClaimedRun => {
        const { instance, plan } = byId.get(r.instanceId)!;
        // The context as this statement leaves it: the batch's patches merged in, as the UPDATE does.
        return { id: r.id, instanceId: r.instanceId, stepKey: r.stepKey, attempt: r.attempt, definitionId: instance.definitionId, input: instance.input, context: { ...instance.context, ...plan.contextPatch }, startedAt: new Date(r.startedAt!) };
      });
    return {
      started,
      drained: batch.filter(({ instance, plan }) => instance.status === "paused" && plan.runningLeft === 0).map(({ instance }) => instance.id),
      inserted: row.inserted.map((r) => ({ id: r.id, instanceId: r.instanceId, stepKey: r.stepKey, status: r.status, workerId: r.status === "running" ? options.workerId : null })),
      versions: new Map(row.versions),
    };
  };
  return { statement, read };
}

/** Deadlocks and serialization failures are transient: the transaction is run again, a few times. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 3 || (code !== "40P01" && code !== "40001")) throw error;
      await new Promise((r) => setTimeout(r, 10 * attempt));
    }
  }
}

function owned(outcomes: StepOutcome[], runs: RunState[], instanceId: string, workerId: string): StepOutcome[] {
  const live = new Set(runs.filter((r) => r.instanceId === instanceId && r.status === "running" && r.workerId === workerId).map((r) => r.id));
  return outcomes.filter((o) => o.instanceId === instanceId && live.has(o.runId));
}
