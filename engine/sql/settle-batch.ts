import type { Instance, InstanceStatus, StepRun } from "@/db/schema";
import { channels, type EventType } from "@/lib/events";
import type { chainedRows } from "../history-batch";
import type { ReservedSql, Sql } from "../prepared";
import { insertQueuedRuns, type QueuedRun } from "./queued-runs";

/** What one batch writes, as positional tuples (see settleBatch on why not objects). */
export type SettleBatchInput = {
  /** [instance id, the row version (xmin) its plan was made from]: nothing is written unless all still hold. */
  expect: (readonly [instanceId: string, rowVersion: string])[];
  /** Runs that ended, each still `running` under this worker. */
  finished: (readonly [runId: string, status: StepRun["status"], output: unknown, error: string | null])[];
  /** Runs to insert, ready now; `start` ones are started by this worker at once, the others queued for a claim. */
  queued: QueuedRun[];
  /**
   * One per instance: the context patch merged in, the current steps, and the terminal status
   * when the plan ends the instance (from the state machine), else null.
   */
  rows: (readonly [instanceId: string, contextPatch: Record<string, unknown>, currentSteps: string[], endStatus: InstanceStatus | null])[];
  /** Chained history rows of the endings (engine/history-batch.ts). */
  history: ReturnType<typeof chainedRows>;
  /** Outbox events of the endings, with the instance as the statement leaves it as payload. */
  events: { type: EventType; version: string; instance_id: string; payload: Instance }[];
  workerId: string;
  /** Lease of the runs started here, in milliseconds from the statement's clock. */
  leaseMs: number;
  /** The endings' time (finished_at, updated_at). */
  now: Date;
  /** Whether to NOTIFY the wake channel (queued runs another worker may claim). */
  wake: boolean;
};

/** The statement's one row: `ok` false when a version had moved and it wrote nothing. */
export type SettleBatchRow = {
  ok: boolean;
  inserted: { id: string; instanceId: string; stepKey: string; attempt: number; status: StepRun["status"]; startedAt: string | null }[];
  /** [instance id, its new row version] for each instance row written. */
  versions: [string, string][];
};

/**
 * A batch of plans as one prepared statement of data-modifying CTEs, whose text never changes
 * whatever the batch holds (empty parts are empty jsonb arrays). It first locks the instance rows
 * `FOR NO KEY UPDATE` and checks they are still the versions the plans were made from; only then
 * does it write the finished runs, the queued runs, the instance rows (context merge, current
 * steps, ending), the endings' history rows and events, and the NOTIFY. If a version moved it
 * writes nothing and says so (`ok` false). If a run it finishes is no longer this worker's, or an
 * instance row is missing, `flowgate_assert` raises (SQLSTATE FGA01), which undoes everything it wrote.
 *
 * The inputs travel as positional jsonb arrays, not objects: a batch's parameters then usually
 * stay under the 1 KiB at which postgres.js writes a message out on its own, so a COMMIT goes out
 * in the same write as the statement (a socket write costs far more here than bytes do).
 * The caller (engine/settle.ts) decides every value; nothing about statuses, history actions or
 * event types is spelled out here.
 */
export function settleBatch(c: Sql | ReservedSql, input: SettleBatchInput) {
  return c<SettleBatchRow[]>`
    with e as (
      select (x->>0)::uuid as id, x->>1 as row_version from jsonb_array_elements(${JSON.stringify(input.expect)}::jsonb) x
    ),
    locked as (
      select i.id, i.xmin::text as row_version from instances i where i.id = any(array(select id from e)) order by i.id for no key update
    ),
    ok as (
      select (select count(*) from locked l join e on e.id = l.id and e.row_version = l.row_version) = (select count(*) from e) as ok
    ),
    f as (
      select (x->>0)::uuid as id, (x->>1)::step_run_status as status, nullif(x->2, 'null'::jsonb) as output, x->>3 as error
      from jsonb_array_elements(${JSON.stringify(input.finished)}::jsonb) x
    ),
    finished as (
      -- The id array lets the planner look the rows up by primary key: it cannot estimate a
      -- jsonb function's rows and would otherwise hash-join against the whole table.
      update step_runs s set status = f.status, output = f.output, error = f.error, finished_at = clock_timestamp(), lease_expires_at = null
      from f
      where s.id = f.id and s.id = any(array(select id from f)) and s.status = 'running' and s.worker_id = ${input.workerId}::text and (select ok from ok)
      returning 1
    ),
    queued as (${insertQueuedRuns(c, input.queued, input.workerId, input.leaseMs, c`(select ok from ok)`)}),
    v as (
      select (x->>0)::uuid as id, x->1 as patch, x->2 as current, (x->>3)::instance_status as end_status, ${input.now.toISOString()}::timestamptz as now
      from jsonb_array_elements(${JSON.stringify(input.rows)}::jsonb) x
    ),
    updated as (
      -- Step progress bumps neither version (no operator command conflicts with it) nor updated_at
      -- (the instance list's keyset order would reshuffle under the reader at every step, and an
      -- unindexed-only change lets Postgres update the row in place, HOT); an ending bumps both.
      -- An ending writes what every ending writes (endedColumns in lib/instances/end-instance.ts;
      -- test/integration/end-instance.test.ts compares the two column by column). The rest of
      -- endInstance has nothing to do here: a plan completes only when every step has a completed
      -- run, so no run of the instance is live and no gate pending (a gated step runs only once
      -- its gate is decided).
      update instances i set
        context = case when v.patch = '{}'::jsonb then i.context else i.context || v.patch end,
        current_steps = array(select jsonb_array_elements_text(v.current)),
        status = coalesce(v.end_status, i.status),
        finished_at = case when v.end_status is not null then v.now else i.finished_at end,
        version = i.version + case when v.end_status is not null then 1 else 0 end,
        updated_at = case when v.end_status is not null then v.now else i.updated_at end,
        error = case when v.end_status is not null then null else i.error end,
        resume_at = case when v.end_status is not null then null else i.resume_at end,
        paused_at = case when v.end_status is not null then null else i.paused_at end,
        paused_by_id = case when v.end_status is not null then null else i.paused_by_id end,
        paused_by_label = case when v.end_status is not null then null else i.paused_by_label end,
        pause_reason = case when v.end_status is not null then null else i.pause_reason end,
        pause_category = case when v.end_status is not null then null else i.pause_category end,
        pause_ticket_url = case when v.end_status is not null then null else i.pause_ticket_url end,
        pause_mode = case when v.end_status is not null then null else i.pause_mode end,
        pause_kind = case when v.end_status is not null then null else i.pause_kind end,
        paused_from_status = case when v.end_status is not null then null else i.paused_from_status end,
        hook_lease_expires_at = case when v.end_status is not null then null else i.hook_lease_expires_at end,
        hook_worker_id = case when v.end_status is not null then null else i.hook_worker_id end
      from v where i.id = v.id and i.id = any(array(select id from v)) and (select ok from ok)
      returning i.id, i.xmin::text as row_version
    ),
    chained as (
      insert into history (instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
      select v."instanceId", v.seq, v.action::history_action, v."actorId", v."actorLabel", v.reason, v."fromStatus"::instance_status, v."toStatus"::instance_status,
        v.details, v."workflowKey", v."createdAt", v."prevHash", v.hash
      from jsonb_to_recordset(${JSON.stringify(input.history)}::jsonb) as v("instanceId" uuid, seq int, action text, "actorId" uuid, "actorLabel" text, reason text,
        "fromStatus" text, "toStatus" text, details jsonb, "workflowKey" text, "createdAt" timestamptz, "prevHash" text, hash text)
      where (select ok from ok)
      returning 1
    ),
    announced as (
      insert into events (type, version, instance_id, payload)
      select v.type, v.version, v.instance_id, v.payload
      from jsonb_to_recordset(${JSON.stringify(input.events)}::jsonb) as v(type text, version text, instance_id uuid, payload jsonb)
      where (select ok from ok)
      returning 1
    ),
    woken as (select pg_notify(${channels.wake}::text, '') where ${input.wake}::boolean and (select ok from ok))
    select (select ok from ok) as ok,
      flowgate_assert(
        not (select ok from ok) or ((select count(*) from finished) = ${input.finished.length}::int and (select count(*) from updated) = ${input.rows.length}::int),
        'a run or instance of the batch changed under its plan') as checked,
      (select coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'instanceId', q.instance_id, 'stepKey', q.step_key, 'attempt', q.attempt, 'status', q.status, 'startedAt', q.started_at)), '[]'::jsonb)
        from queued q) as inserted,
      (select coalesce(jsonb_agg(jsonb_build_array(u.id, u.row_version)), '[]'::jsonb) from updated u) as versions,
      (select count(*) from woken) as woken`;
}
