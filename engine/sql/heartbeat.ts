import type { Sql } from "../prepared";
import { uuidList } from "../sql-arrays";

/** Extends the leases of the runs this worker still owns; returns the ids it still owns. */
export async function heartbeat(sql: Sql, workerId: string, runIds: string[], leaseMs: number): Promise<Set<string>> {
  if (!runIds.length) return new Set();
  const rows = await sql<{ id: string }[]>`
    update step_runs set heartbeat_at = now(), lease_expires_at = now() + ${leaseMs}::int * interval '1 millisecond'
    where id = any(${uuidList(runIds)}::uuid[]) and worker_id = ${workerId} and status = 'running'
    returning id`;
  return new Set(rows.map((r) => r.id));
}
