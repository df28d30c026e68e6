import type { Sql } from "../prepared";
import { uuidList } from "@/db/sql-arrays";

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
};

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
  const rows = await sql<{
    id: string;
    instance_id: string;
    step_key: string;
    attempt: number;
    definition_id: string;
    input: Record<string, unknown>;
    context: Record<string, unknown>;
    started_at: string;
  }[]>`
    with claimable as (
      select sr.id, i.definition_id, i.input, i.context
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
    where s.id = c.id and s.id = any(array(select id from claimable))
    returning s.id, s.instance_id, s.step_key, s.attempt, c.definition_id, c.input, c.context, s.started_at`;
  return rows.map((r) => ({
    id: r.id,
    instanceId: r.instance_id,
    stepKey: r.step_key,
    attempt: r.attempt,
    definitionId: r.definition_id,
    input: r.input,
    context: r.context,
    startedAt: new Date(r.started_at),
  }));
}
