import { instances } from "@/db/schema";
import { rowMapper } from "@/db/row-mapper";
import { uuidList } from "@/db/sql-arrays";
import type { ChainHead } from "../history-batch";
import type { KnownState } from "../known-states";
import type { Sql } from "../prepared";
import type { RunState } from "./runs-and-heads";

/** A step run this worker now holds under a lease, with what its step needs to run. */
export type ClaimedRun = {
  id: string;
  instanceId: string;
  stepKey: string;
  attempt: number;
  definitionId: string;
  input: Record<string, unknown>;
  context: Record<string, unknown>;
  startedAt: Date;
  /**
   * The instance as this claim locked it (row, runs, history head, row version), when the claim
   * could read all of it from the version it locked: the settle of this run then plans from it
   * and writes in one round trip (see KnownState). Absent when the row changed after the
   * statement's snapshot was taken (its runs, read from that snapshot, could be older than the
   * row), and on runs a settle started.
   */
  known?: KnownState;
};

const toInstance = rowMapper(instances);

/**
 * Claims up to `limit` runnable steps in ONE statement.
 *
 * The instance row is locked `FOR KEY SHARE` (and listed first, so it is locked before the step
 * row), the step row `FOR UPDATE SKIP LOCKED`. Pause, resume and cancel take the instance row
 * `FOR UPDATE`, which conflicts with KEY SHARE: so either this claim commits first (the step is
 * in flight when the pause commits, and a graceful pause drains it), or the claim waits for the
 * pause and, under READ COMMITTED, re-checks the new row version (EvalPlanQual), sees `paused`,
 * and skips the step. Joining instances only to filter on status would read the status from the
 * statement's snapshot and never re-check it: a pause committing in between would be missed.
 *
 * Why instance first: a cancel holds the instance `FOR UPDATE` and then updates the instance's
 * pending runs. Were the step row locked first, the claim would hold it while waiting for the
 * instance, and the two would deadlock. Locked instance-first, the claim holds no step row of an
 * instance it is still waiting for.
 *
 * KEY SHARE (not SHARE) so that step completions, which lock the instance `FOR NO KEY UPDATE`,
 * neither block claims nor are blocked by them.
 */
export async function claimRuns(sql: Sql, options: { workerId: string; limit: number; leaseMs: number; definitionIds: string[] }): Promise<ClaimedRun[]> {
  if (options.limit <= 0 || !options.definitionIds.length) return [];
  // Prepared (see engine/prepared.ts): bound and executed in one message.
  const rows = await sql<({
    run_id: string;
    step_key: string;
    attempt: number;
    run_started_at: string;
    row_version: string;
    seen_version: string | null;
    runs: RunState[];
    head: ChainHead | null;
  } & Record<string, unknown>)[]>`
    with claimable as (
      select sr.id as run_id, i.*,
        -- The version locked (re-read by EvalPlanQual if the row changed since the snapshot) and
        -- the version the snapshot sees: equal when the runs and head below, read from the
        -- snapshot, are those of the locked row.
        i.xmin::text as row_version,
        (select x.xmin::text from instances x where x.id = i.id) as seen_version,
        (select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'instanceId', r.instance_id, 'stepKey', r.step_key, 'status', r.status, 'workerId', r.worker_id) order by r.created_at), '[]')
          from step_runs r where r.instance_id = i.id) as runs,
        (select jsonb_build_object('instanceId', h.instance_id, 'seq', h.seq, 'hash', h.hash) from history h where h.instance_id = i.id order by h.seq desc limit 1) as head
      from step_runs sr
      join instances i on i.id = sr.instance_id
      where sr.status = 'pending'
        and sr.available_at <= now()
        and i.status = 'running'
        and i.resources = 'held'
        and i.definition_id = any(${uuidList(options.definitionIds)}::uuid[])
      -- available_at alone: the partial index step_runs_claimable_idx yields that order, so the
      -- scan stops after \`limit\` rows that pass the instance filter instead of sorting the queue.
      order by sr.available_at
      limit ${options.limit}::int
      for key share of i
      for update of sr skip locked
    )
    update step_runs s
    set status = 'running',
        worker_id = ${options.workerId},
        started_at = clock_timestamp(),
        heartbeat_at = clock_timestamp(),
        lease_expires_at = clock_timestamp() + ${options.leaseMs}::int * interval '1 millisecond',
        finished_at = null
    from claimable c
    -- The id array makes the update look its rows up by primary key. Joined on s.id = c.id alone,
    -- the generic plan (engine/prepared.ts) hash-joined the CTE against a sequential scan of all
    -- of step_runs: most of a claim's cost, and growing with the table (BENCHMARKS.md, engine).
    where s.id = c.run_id and s.id = any(array(select run_id from claimable))
    returning c.*, s.step_key, s.attempt, s.started_at as run_started_at`;
  // The runs were read before this statement's update: the ones it claimed show as pending.
  const claimedIds = new Set(rows.map((r) => r.run_id));
  return rows.map((r) => {
    const instance = toInstance(r);
    const known: KnownState | undefined =
      r.row_version === r.seen_version
        ? {
            instance,
            runs: r.runs.map((run) => (claimedIds.has(run.id) ? { ...run, status: "running", workerId: options.workerId } : run)),
            head: r.head,
            rowVersion: r.row_version,
          }
        : undefined;
    return {
      id: r.run_id,
      instanceId: instance.id,
      stepKey: r.step_key,
      attempt: r.attempt,
      definitionId: instance.definitionId,
      input: instance.input,
      context: instance.context,
      startedAt: new Date(r.run_started_at),
      known,
    };
  });
}
