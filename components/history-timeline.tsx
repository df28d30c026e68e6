import type { HistoryRow } from "@/lib/rows";
import { FormValues } from "./form-values";
import { BulkOperationLink } from "./bulk-operation-link";
import { ReasonTags } from "./reason-tags";
import { RelativeTime } from "./relative-time";
import { StatusBadge } from "./status-badge";

export const actionLabels: Record<HistoryRow["action"], string> = {
  started: "Started",
  queued: "Queued (workflow paused)",
  paused: "Paused",
  resumed: "Resumed",
  force_resumed: "Force-resumed",
  retried: "Retried",
  step_started: "Step started",
  step_completed: "Step completed",
  step_failed: "Step failed",
  step_interrupted: "Step interrupted",
  waiting: "Waiting for approval",
  gate_requested: "Approval requested",
  gate_approved: "Gate approved",
  gate_rejected: "Gate rejected",
  gate_expired: "Gate expired",
  gate_delegated: "Gate delegated",
  gate_escalated: "Gate escalated",
  gate_withdrawn: "Gate withdrawn",
  steps_skipped: "Steps skipped",
  hook_ran: "Lifecycle hook ran",
  hook_failed: "Lifecycle hook failed",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
  timed_out: "Timed out",
};

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Newest first: who did what, when, why, and the status it moved between. */
export function HistoryTimeline({ rows }: { rows: HistoryRow[] }) {
  if (!rows.length) return <p className="text-sm text-slate-500">No history yet.</p>;
  return (
    <ol className="space-y-3" aria-label="Instance history">
      {rows.map((row) => {
        const pausedFor = typeof row.details.pausedForMs === "number" ? row.details.pausedForMs : null;
        // The pause mode is worth a chip; gate rows carry a mode of their own that is not.
        const mode = row.action === "paused" && typeof row.details.mode === "string" ? row.details.mode : null;
        const stage = (row.action.startsWith("gate_") || row.action === "steps_skipped") && typeof row.details.stage === "string" ? row.details.stage : null;
        return (
          <li key={row.id} className="rounded-md border border-slate-200 bg-white p-3 text-sm">
            <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
              <span className="font-medium">
                {actionLabels[row.action]}
                {stage && <span className="font-normal text-slate-600">: {stage}</span>}
              </span>
              {mode && <span className="rounded bg-slate-100 px-1.5 text-xs text-slate-700">{row.details.escalated === true ? `escalated to ${mode}` : mode}</span>}
              <span className="text-slate-600">by {row.actorLabel}</span>
              <span className="text-slate-400" aria-hidden>
                ·
              </span>
              <RelativeTime value={row.createdAt} />
              {row.fromStatus && row.toStatus && row.fromStatus !== row.toStatus && (
                <span className="ml-auto flex items-center gap-1">
                  {/* A fresh start is pending only inside its own transaction, never seen: only a start that waited in the queue shows where it came from. */}
                  {row.fromStatus === "pending" && row.action === "started" && !("queuedAt" in row.details) ? null : (
                    <>
                      <StatusBadge status={row.fromStatus} /> <span aria-label="to">→</span>{" "}
                    </>
                  )}
                  <StatusBadge status={row.toStatus} />
                </span>
              )}
            </div>
            {row.reason && <p className="mt-1 whitespace-pre-wrap break-words text-slate-800">“{row.reason}”</p>}
            <ReasonTags category={row.details.category} ticketUrl={row.details.ticketUrl} />
            {row.action === "gate_approved" && <FormValues option={row.details.option} values={row.details.values} className="mt-1" />}
            <BulkOperationLink details={row.details} />
            {pausedFor !== null && <p className="mt-1 text-xs text-slate-500">Paused for {formatDuration(pausedFor)}</p>}
            {row.action === "retried" && Array.isArray(row.details.steps) && (
              <p className="mt-1 text-xs text-slate-500">
                Runs again: {(row.details.steps as { step?: unknown; attempt?: unknown }[]).map((s) => `${String(s.step)} (attempt ${String(s.attempt)})`).join(", ")}
              </p>
            )}
            {typeof row.details.waitedMs === "number" && <p className="mt-1 text-xs text-slate-500">The gate waited {formatDuration(row.details.waitedMs)}</p>}
          </li>
        );
      })}
    </ol>
  );
}
