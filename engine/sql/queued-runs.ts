import type { ReservedSql, Sql } from "../prepared";

/** A run a settle inserts: instance, step, attempt, and whether it starts at once in this worker's slot. */
export type QueuedRun = readonly [instanceId: string, stepKey: string, attempt: number, start: boolean];

/**
 * The body of a settle statement's `queued` CTE, shared by settleBatch (./settle-batch.ts) and
 * settleOne (./settle-one.ts), whose promise is to write exactly what the batch statement writes:
 * inserts `queued`, each either pending or already running under `workerId` with a lease of
 * `leaseMs` milliseconds from the statement's clock, only where `guard` (the statement's own
 * check that its locks and versions hold) is true; returns the rows' id, instance_id, step_key,
 * attempt, status and started_at. A postgres.js fragment: the statement's text, and so its
 * prepared statement, is the same as when it was written out in place.
 */
export function insertQueuedRuns(c: Sql | ReservedSql, queued: readonly QueuedRun[], workerId: string, leaseMs: number, guard: ReturnType<Sql>) {
  return c`
      insert into step_runs (instance_id, step_key, attempt, available_at, status, worker_id, started_at, heartbeat_at, lease_expires_at)
      select (x->>0)::uuid, x->>1, (x->>2)::int, now(),
        case when (x->>3)::boolean then 'running' else 'pending' end::step_run_status,
        case when (x->>3)::boolean then ${workerId}::text end,
        case when (x->>3)::boolean then clock_timestamp() end,
        case when (x->>3)::boolean then clock_timestamp() end,
        case when (x->>3)::boolean then clock_timestamp() + ${leaseMs}::int * interval '1 millisecond' end
      from jsonb_array_elements(${JSON.stringify(queued)}::jsonb) x
      where ${guard}
      returning id, instance_id, step_key, attempt, status, started_at`;
}
