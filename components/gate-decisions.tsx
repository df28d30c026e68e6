import type { Jsonify } from "@/lib/jsonify";
import type { GateDecision, GateDelegation } from "@/lib/rows";
import { FormValues } from "./form-values";
import { RelativeTime } from "./relative-time";

/** Who decided what so far, with comments and delegations, oldest first; rows from the database or from the API (dates as strings). */
export function GateDecisions({ decisions, delegations, order }: { decisions: (GateDecision | Jsonify<GateDecision>)[]; delegations: (GateDelegation | Jsonify<GateDelegation>)[]; order?: string[] }) {
  if (!decisions.length && !delegations.length) return <p className="text-sm text-slate-500">No decisions yet.</p>;
  return (
    <ul className="space-y-1 text-sm" aria-label="Decisions">
      {decisions.map((d) => (
        <li key={d.id}>
          <span className={d.decision === "approve" ? "font-medium text-emerald-800" : "font-medium text-red-800"}>{d.decision === "approve" ? "✔ Approved" : "✘ Rejected"}</span> by {d.userLabel} <RelativeTime value={d.createdAt} />
          {d.comment && <span className="block break-words pl-5 text-slate-700">“{d.comment}”</span>}
          <FormValues option={d.option} values={d.values} order={order} className="pl-5" />
        </li>
      ))}
      {delegations.map((d) => (
        <li key={d.id} className="text-slate-700">
          ↪ {d.fromLabel} delegated to {d.toLabel} <RelativeTime value={d.createdAt} />
          <span className="block break-words pl-5">“{d.reason}”</span>
        </li>
      ))}
    </ul>
  );
}
