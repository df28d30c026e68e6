import type { StepRun } from "@/db/schema";
import type { ChainHead } from "../history-batch";
import type { ReservedSql, Sql } from "../prepared";

/** What settling needs to know of a run: whose it is and where it stands. */
export type RunState = Pick<StepRun, "id" | "instanceId" | "stepKey" | "status" | "workerId">;

/**
 * Every run of the instances (oldest first) and each instance's history chain head, in one row.
 * `ids` is a uuid[] literal (db/sql-arrays.ts). Read after lockInstances, as its own
 * statement: it then takes a snapshot once the locks are held and sees everything committed by
 * whoever held them before.
 */
export function runsAndHeads(c: Sql | ReservedSql, ids: string) {
  return c<{ runs: RunState[]; heads: ChainHead[] }[]>`
    select
      (select coalesce(jsonb_agg(jsonb_build_object('id', s.id, 'instanceId', s.instance_id, 'stepKey', s.step_key, 'status', s.status, 'workerId', s.worker_id) order by s.created_at), '[]')
        from step_runs s where s.instance_id = any(k.ids)) as runs,
      (select coalesce(jsonb_agg(jsonb_build_object('instanceId', h.instance_id, 'seq', h.seq, 'hash', h.hash)), '[]')
        from (select distinct on (instance_id) instance_id, seq, hash from history where instance_id = any(k.ids) order by instance_id, seq desc) h) as heads
    from (select ${ids}::uuid[] as ids) k`;
}
