import type { Sql } from "../prepared";
import { uuidList } from "@/db/sql-arrays";

/**
 * Extends by `leaseMs` (milliseconds from now) the leases of those of `runIds` that are still
 * `running` under `workerId`, in one prepared statement; returns the ids it extended. A run
 * missing from the result is no longer this worker's (interrupted, cancelled or taken over).
 */
export async function heartbeat(sql: Sql, workerId: string, runIds: string[], leaseMs: number): Promise<Set<string>> {
  if (!runIds.length) return new Set();
  const rows = await sql<{ id: string }[]>`
    update step_runs set heartbeat_at = now(), lease_expires_at = now() + ${leaseMs}::int * interval '1 millisecond'
    where id = any(${uuidList(runIds)}::uuid[]) and worker_id = ${workerId} and status = 'running'
    returning id`;
  return new Set(rows.map((r) => r.id));
}
