import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { anyUuid } from "@/db/sql-arrays";

export type FinishedRun = { runId: string; status: "completed" | "failed"; output: unknown; error: string | null };

/**
 * Records the results of finished runs in one statement: status, output, error, `finished_at`
 * (clock time) and the lease cleared. Unprepared drizzle SQL: an UPDATE … FROM
 * `jsonb_to_recordset`, which the builder lacks. The caller holds the instance row lock and has
 * verified it still owns the runs. Returns nothing.
 */
export async function finishRuns(tx: Tx, finished: FinishedRun[]): Promise<void> {
  if (!finished.length) return;
  await tx.execute(sql`
    update step_runs s set status = v.status::step_run_status, output = v.output, error = v.error, finished_at = clock_timestamp(), lease_expires_at = null
    from jsonb_to_recordset(${JSON.stringify(finished.map((f) => ({ id: f.runId, status: f.status, output: f.output ?? null, error: f.error })))}::jsonb)
      as v(id uuid, status text, output jsonb, error text)
    where s.id = v.id and ${anyUuid(sql`s.id`, finished.map((f) => f.runId))}`);
}
