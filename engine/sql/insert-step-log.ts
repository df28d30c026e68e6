import type { StepLogLine } from "@/lib/domain";
import type { Sql } from "../prepared";

/**
 * Stores what one step run logged (engine/step-logs.ts), once, after the run ended: a row of its
 * own, off the settle path, so logging never slows a step's transition or its transaction. A run
 * that already has its lines (executed again after a hand-back) keeps the first ones.
 */
export async function insertStepLog(sql: Sql, run: { id: string; instanceId: string }, lines: StepLogLine[], dropped: number): Promise<void> {
  await sql`
    insert into step_run_logs (run_id, instance_id, lines, dropped)
    values (${run.id}, ${run.instanceId}, ${JSON.stringify(lines)}::jsonb, ${dropped})
    on conflict (run_id) do nothing`;
}
