import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/client";

export type QueuedRun = { instanceId: string; stepKey: string; attempt: number; availableAt: Date | null };

/**
 * Inserts queued (`pending`) step runs, available at `availableAt` (a retry's backoff) or now.
 * Unprepared drizzle SQL: the runs travel as one jsonb parameter (`jsonb_to_recordset`, which the
 * builder lacks), so the statement text is the same whatever their number. Takes no lock of its
 * own: the caller holds the instance row. Returns nothing.
 */
export async function insertRuns(tx: Tx, runs: QueuedRun[]): Promise<void> {
  if (!runs.length) return;
  await tx.execute(sql`
    insert into step_runs (instance_id, step_key, attempt, available_at)
    select v."instanceId", v."stepKey", v.attempt, coalesce(v."availableAt", now())
    from jsonb_to_recordset(${JSON.stringify(runs)}::jsonb) as v("instanceId" uuid, "stepKey" text, attempt int, "availableAt" timestamptz)`);
}
