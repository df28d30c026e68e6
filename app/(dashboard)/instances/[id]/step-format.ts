import type { InstanceDetail } from "@/lib/instances/queries";
import type { Jsonify } from "@/lib/jsonify";

/** A step as the page holds it: from the server render or the API (dates as ISO strings). */
export type Step = Jsonify<InstanceDetail["steps"][number]>;

/** A step's (or run's) status chip colours; the word is always shown beside them. */
export const stepStyles: Record<Step["status"], string> = {
  not_started: "bg-slate-100 text-slate-600",
  pending: "bg-sky-50 text-sky-800",
  running: "bg-sky-100 text-sky-900",
  completed: "bg-emerald-50 text-emerald-800",
  failed: "bg-red-50 text-red-800",
  interrupted: "bg-orange-50 text-orange-900",
  cancelled: "bg-slate-100 text-slate-600",
  skipped: "bg-slate-100 text-slate-500 italic",
};

/** "4.2 s", "3 min 5 s"; "—" before the start. Until now while still running. */
export function duration(start: Date | string | null, end: Date | string | null): string {
  if (!start) return "—";
  const ms = Math.max(0, new Date(end ?? Date.now()).getTime() - new Date(start).getTime());
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

