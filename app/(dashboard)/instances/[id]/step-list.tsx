import { RelativeTime } from "@/components/relative-time";
import { GateBadge, ReviewPointBadge } from "@/components/step-badges";
import { cn } from "@/components/ui/cn";
import type { InstanceDetail } from "@/lib/instances/queries";

const stepStyles: Record<InstanceDetail["steps"][number]["status"], string> = {
  not_started: "bg-slate-100 text-slate-600",
  pending: "bg-sky-50 text-sky-800",
  running: "bg-sky-100 text-sky-900",
  completed: "bg-emerald-50 text-emerald-800",
  failed: "bg-red-50 text-red-800",
  interrupted: "bg-orange-50 text-orange-900",
  cancelled: "bg-slate-100 text-slate-600",
  skipped: "bg-slate-100 text-slate-500 italic",
};

function duration(start: Date | null, end: Date | null): string {
  if (!start) return "—";
  const ms = (end ?? new Date()).getTime() - start.getTime();
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function StepList({ steps }: { steps: InstanceDetail["steps"] }) {
  return (
    <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Steps</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Step</th>
            <th scope="col" className="px-3 py-2 font-medium">Status</th>
            <th scope="col" className="px-3 py-2 font-medium">Attempt</th>
            <th scope="col" className="px-3 py-2 font-medium">Started</th>
            <th scope="col" className="px-3 py-2 font-medium">Duration</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {steps.map((step) => (
            <tr key={step.key}>
              <th scope="row" className="px-3 py-2 text-left font-medium">
                <span className="flex items-center gap-1.5">
                  {step.name}
                  {step.gate && <GateBadge gate={step.gate} prefix="gate: " />}
                  {step.pauseBefore && <ReviewPointBadge />}
                </span>
                {step.dependsOn.length > 0 && <span className="block text-xs font-normal text-slate-500">after {step.dependsOn.join(", ")}</span>}
                {step.error && <span className="block text-xs font-normal text-red-700">{step.error}</span>}
              </th>
              <td className="px-3 py-2">
                <span className={cn("whitespace-nowrap rounded px-1.5 py-0.5 text-xs font-medium", stepStyles[step.status])}>{step.status.replace("_", " ")}</span>
              </td>
              <td className="px-3 py-2">{step.attempt || "—"}</td>
              <td className="px-3 py-2"><RelativeTime value={step.startedAt} /></td>
              <td className="px-3 py-2 tabular-nums">{duration(step.startedAt, step.finishedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
