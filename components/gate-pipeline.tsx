import { Check, Hourglass, X } from "lucide-react";
import type { InstanceGate } from "@/lib/gates/queries";
import type { Jsonify } from "@/lib/jsonify";
import { GateDecisions } from "./gate-decisions";
import { RelativeTime } from "./relative-time";
import { cn } from "./ui/cn";

const look = {
  pending: { Icon: Hourglass, className: "border-violet-300 bg-violet-50" },
  approved: { Icon: Check, className: "border-emerald-300 bg-emerald-50" },
  rejected: { Icon: X, className: "border-red-300 bg-red-50" },
  expired: { Icon: X, className: "border-slate-300 bg-slate-50" },
  withdrawn: { Icon: X, className: "border-slate-300 bg-slate-50" },
} as const;

/** The instance's gates as stages in order: staging ✔ by whom and when → production 1/2 pending. */
export function GatePipeline({ gates }: { gates: Jsonify<InstanceGate>[] }) {
  return (
    <ol className="flex flex-wrap items-stretch gap-2" aria-label="Approval stages">
      {gates.map((gate, i) => {
        const { Icon, className } = look[gate.status];
        return (
          <li key={gate.id} className="flex items-stretch gap-2">
            {i > 0 && <span aria-hidden className="self-center text-slate-400">→</span>}
            <div className={cn("min-w-64 rounded-lg border p-3 text-sm", className)}>
              <p className="flex items-center gap-1.5 font-medium">
                <Icon className="size-4" aria-hidden /> {gate.stage}
                <span className="font-normal text-slate-600">· {gate.status} · {gate.progress}</span>
              </p>
              <p className="text-xs text-slate-600">
                requested <RelativeTime value={gate.requestedAt} />
                {gate.decidedAt && <> · settled <RelativeTime value={gate.decidedAt} /></>}
              </p>
              {gate.chosenOption && (
                <p className="mt-1 text-xs text-slate-700">
                  Path taken: <span className="font-medium">{gate.options.find((o) => o.name === gate.chosenOption)?.label ?? gate.chosenOption}</span>
                  {gate.status === "expired" && " (on expiry)"}
                </p>
              )}
              <div className="mt-2">
                <GateDecisions decisions={gate.decisions} delegations={gate.delegations} order={gate.form?.order} />
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
