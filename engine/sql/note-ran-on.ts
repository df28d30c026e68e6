import type { Sql } from "../prepared";

/**
 * Adds to a timed-out run's error how long (`ranOnMs`, milliseconds) the step ran on after its
 * timeout, ignoring its signal. Only a `failed` run still recorded under `workerId` is touched.
 */
export async function noteRanOn(sql: Sql, workerId: string, runId: string, ranOnMs: number): Promise<void> {
  await sql`
    update step_runs set error = error || ${` (the step ignored its abort signal and ran on for ${ranOnMs} ms; its result was discarded)`}::text
    where id = ${runId} and worker_id = ${workerId} and status = 'failed'`;
}
