"use client";

import { ChevronRight } from "lucide-react";
import { Fragment, useState } from "react";
import { RelativeTime } from "@/components/relative-time";
import { GateBadge, ReviewPointBadge } from "@/components/step-badges";
import { cn } from "@/components/ui/cn";
import { StepAttempts } from "./step-attempts";
import { duration, stepStyles, type Step } from "./step-format";

/**
 * The steps as a table, each expandable (a disclosure button, `aria-expanded`) to its attempts:
 * start and end, duration, worker, end reason, error, output and the lines it logged. What is
 * open stays open across live refreshes (client state; the rows are keyed by step).
 */
export function StepList({ steps }: { steps: Step[] }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setOpen((was) => {
      const next = new Set(was);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
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
          {steps.map((step) => {
            const expanded = open.has(step.key);
            const panelId = `step-${step.key}-attempts`;
            return (
              <Fragment key={step.key}>
                <tr>
                  <th scope="row" className="px-3 py-2 text-left font-medium">
                    <span className="flex flex-wrap items-center gap-1.5">
                      <button
                        type="button"
                        aria-expanded={expanded}
                        aria-controls={panelId}
                        aria-label={`${step.name}: ${expanded ? "hide" : "show"} attempts, output and logs`}
                        onClick={() => toggle(step.key)}
                        className="-ml-1 flex items-center gap-1 rounded px-1 text-left hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600"
                      >
                        <ChevronRight aria-hidden className={cn("size-4 shrink-0 text-slate-500 transition-transform", expanded && "rotate-90")} />
                        {step.name}
                      </button>
                      {step.gate && <GateBadge gate={step.gate} prefix="gate: " />}
                      {step.pauseBefore && <ReviewPointBadge />}
                    </span>
                    {step.dependsOn.length > 0 && <span className="block text-xs font-normal text-slate-500">after {step.dependsOn.join(", ")}</span>}
                    {step.error && <span className="block break-words text-xs font-normal text-red-700">{step.error}</span>}
                  </th>
                  <td className="px-3 py-2">
                    <span className={cn("whitespace-nowrap rounded px-1.5 py-0.5 text-xs font-medium", stepStyles[step.status])}>{step.status.replace("_", " ")}</span>
                  </td>
                  <td className="px-3 py-2">{step.attempt || "—"}</td>
                  <td className="px-3 py-2"><RelativeTime value={step.startedAt} /></td>
                  <td className="px-3 py-2 tabular-nums" suppressHydrationWarning>{duration(step.startedAt, step.finishedAt)}</td>
                </tr>
                {expanded && (
                  <tr id={panelId}>
                    <td colSpan={5} className="bg-slate-50 px-3 py-3">
                      {/* Pinned to the visible part of the table when it scrolls sideways (a phone). */}
                      <div className="sticky left-3 max-w-[calc(100vw-4rem)] lg:max-w-none">
                        <StepAttempts step={step} />
                      </div>
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
