import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import type { ResourceState } from "@/db/schema";
import { textArray } from "@/db/sql-arrays";

/**
 * Takes the hook lease of up to `limit` instances of `workflowKeys` whose lifecycle hook is due,
 * skipping rows another worker holds (`FOR NO KEY UPDATE SKIP LOCKED`), and marks them
 * `releasing` (onPause due) or `reacquiring` (onResume due). Due means:
 * - onPause: paused and fully drained (no running step run), resources held;
 * - onResume: running or waiting again after onPause released its resources;
 * - either: a hook whose lease (`leaseMs`, milliseconds) expired, its worker gone.
 * Unprepared drizzle SQL: a rare path, and the builder has no UPDATE … WHERE id IN (… SKIP LOCKED).
 * Returns the ids taken and the resource state each was left in.
 */
export async function takeHookLeases(db: DbOrTx, options: { workerId: string; workflowKeys: string[]; leaseMs: number; limit: number }): Promise<{ id: string; resources: ResourceState }[]> {
  return db.execute<{ id: string; resources: ResourceState }>(sql`
    update instances i
    set resources = (case when i.resources in ('held', 'releasing') then 'releasing' else 'reacquiring' end)::resource_state,
        hook_lease_expires_at = now() + ${options.leaseMs} * interval '1 millisecond',
        hook_worker_id = ${options.workerId}
    where i.id in (
      select c.id from instances c
      where c.workflow_key = any(${textArray(options.workflowKeys)})
        and c.status in ('running', 'waiting', 'paused')
        and (
          (c.status = 'paused' and c.resources = 'held'
            and not exists (select 1 from step_runs s where s.instance_id = c.id and s.status = 'running'))
          or (c.status in ('running', 'waiting') and c.resources = 'released')
          or (c.resources in ('releasing', 'reacquiring') and (c.hook_lease_expires_at is null or c.hook_lease_expires_at < now()))
        )
      limit ${options.limit}
      for no key update skip locked
    )
    returning i.id, i.resources`);
}
