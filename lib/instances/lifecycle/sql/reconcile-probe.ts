import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "@/db/client";

/**
 * Whether an instance may need reconciling: running, with no pending or running step run. A
 * lock-free read, so that the common answer (no) costs no lock; the caller re-checks under the
 * row lock before acting. Unprepared drizzle SQL, as the engine wrote it: one boolean
 * expression with a correlated NOT EXISTS, one round trip. False for an unknown id.
 */
export async function reconcileProbe(db: Db, instanceId: string): Promise<boolean> {
  const [probe] = await db.execute<{ due: boolean }>(sql`
    select i.status = 'running' and not exists (select 1 from step_runs s where s.instance_id = i.id and s.status in ('pending', 'running')) as due
    from instances i where i.id = ${instanceId}`);
  return probe?.due ?? false;
}
