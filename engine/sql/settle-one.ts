import type { SettleBatchRow } from "./settle-batch";
import type { ReservedSql, Sql } from "../prepared";
import { insertQueuedRuns, type QueuedRun } from "./queued-runs";
import { textList, uuidList } from "@/db/sql-arrays";
import { channels } from "@/lib/events";

/** What settling one instance's outcomes writes when its plan does not end the instance. */
export type SettleOneInput = {
  instanceId: string;
  /** The row version (xmin) the plan was made from: nothing is written unless it still holds. */
  rowVersion: string;
  /** Runs that ended, each still `running` under this worker (as in SettleBatchInput). */
  finished: (readonly [runId: string, status: "completed" | "failed", output: unknown, error: string | null])[];
  /** Runs to insert, ready now (as in SettleBatchInput; all of this instance). */
  queued: QueuedRun[];
  /** Merged into the context; `{}` leaves it as it is. */
  contextPatch: Record<string, unknown>;
  currentSteps: string[];
  workerId: string;
  /** Lease of the runs started here, in milliseconds from the statement's clock. */
  leaseMs: number;
  /** Whether to NOTIFY the wake channel (queued runs another worker may claim). */
  wake: boolean;
};

/**
 * settleBatch (./settle-batch.ts) for the commonest batch: one instance whose plan only advances
 * it (no ending, so no history row, no event, no status change). Same locks, same check, same
 * writes, same row back; a smaller statement. Most of settleBatch's cost for a batch of one was
 * fixed cost of its size: starting and ending a plan of a dozen CTEs, and parsing the jsonb of
 * parts that were empty. A worker at concurrency 1 settles every step as such a batch
 * (BENCHMARKS.md, "What moved the engine's throughput").
 *
 * The instance row is locked `FOR NO KEY UPDATE` only if its version (xmin) is still the plan's:
 * under READ COMMITTED a row changed since the statement's snapshot is locked in its newest
 * version and the condition re-checked on it (EvalPlanQual), so a pause, a cancel or another
 * worker's settle that committed first leaves `locked` empty, and then nothing is written
 * (`ok` false). A pause that comes later waits for this statement's lock, and finds the step it
 * started in flight (and drains it). Every write below is conditioned on `locked`.
 * If a run it finishes is no longer this worker's, `flowgate_assert` raises (SQLSTATE FGA01),
 * which undoes everything it wrote.
 */
export function settleOne(c: Sql | ReservedSql, input: SettleOneInput) {
  return c<SettleBatchRow[]>`
    with locked as (
      select i.id from instances i where i.id = ${input.instanceId}::uuid and i.xmin::text = ${input.rowVersion}::text for no key update
    ),
    finished as (
      update step_runs s set status = (x->>1)::step_run_status, output = nullif(x->2, 'null'::jsonb), error = x->>3, finished_at = clock_timestamp(), lease_expires_at = null
      from jsonb_array_elements(${JSON.stringify(input.finished)}::jsonb) x
      -- The id array: a primary-key lookup, whatever the generic plan thinks of the jsonb's rows.
      where s.id = (x->>0)::uuid and s.id = any(${uuidList(input.finished.map(([id]) => id))}::uuid[])
        and s.status = 'running' and s.worker_id = ${input.workerId}::text and exists (select from locked)
      returning 1
    ),
    queued as (${insertQueuedRuns(c, input.queued, input.workerId, input.leaseMs, c`exists (select from locked)`)}),
    updated as (
      -- Step progress bumps neither version nor updated_at (see settleBatch).
      update instances i set
        context = case when ${JSON.stringify(input.contextPatch)}::jsonb = '{}'::jsonb then i.context else i.context || ${JSON.stringify(input.contextPatch)}::jsonb end,
        current_steps = ${textList(input.currentSteps)}::text[]
      where i.id = ${input.instanceId}::uuid and exists (select from locked)
      returning i.id, i.xmin::text as row_version
    ),
    woken as (select pg_notify(${channels.wake}::text, '') where ${input.wake}::boolean and exists (select from locked))
    select exists (select from locked) as ok,
      flowgate_assert(
        not exists (select from locked) or ((select count(*) from finished) = ${input.finished.length}::int and (select count(*) from updated) = 1),
        'a run or instance of the batch changed under its plan') as checked,
      (select coalesce(jsonb_agg(jsonb_build_object('id', q.id, 'instanceId', q.instance_id, 'stepKey', q.step_key, 'attempt', q.attempt, 'status', q.status, 'startedAt', q.started_at)), '[]'::jsonb)
        from queued q) as inserted,
      (select coalesce(jsonb_agg(jsonb_build_array(u.id, u.row_version)), '[]'::jsonb) from updated u) as versions,
      (select count(*) from woken) as woken`;
}
