import type { GateOutcome } from "@/lib/workflows/sdk";
import type { Sql } from "../prepared";

/**
 * How the gate in front of `stepKey` let the instance through, for the step's `ctx.gate`: its
 * stage, status (`approved`, or `expired` on a continue/step expiry), chosen option, the values of
 * the decision that completed the quorum, and every approval with its own option and values,
 * oldest first. Null when the step has no gate row (or it is not passed, which a run never sees).
 */
export async function gateOutcome(sql: Sql, instanceId: string, stepKey: string): Promise<GateOutcome | null> {
  const [row] = await sql<{ stage: string; status: string; option: string | null; values: Record<string, unknown> | null; decisions: GateOutcome["decisions"] }[]>`
    select g.stage, g.status, g.chosen_option as option, g.values,
      coalesce((select jsonb_agg(jsonb_build_object('by', d.user_label, 'option', d.option, 'values', d.values, 'comment', d.comment, 'at', d.created_at) order by d.created_at)
        from gate_decisions d where d.gate_id = g.id and d.decision = 'approve'), '[]'::jsonb) as decisions
    from gates g where g.instance_id = ${instanceId} and g.step_key = ${stepKey} and g.status in ('approved', 'expired')`;
  if (!row) return null;
  return { stage: row.stage, status: row.status as GateOutcome["status"], option: row.option, values: row.values, decisions: row.decisions };
}
