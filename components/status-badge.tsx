import { Ban, CheckCircle2, CircleDashed, Clock, Hourglass, Loader2, PauseCircle, TimerOff, XCircle } from "lucide-react";
import type { InstanceStatus } from "@/lib/domain";
import { cn } from "./ui/cn";

const styles: Record<InstanceStatus | "draining", { label: string; className: string; Icon: typeof Clock }> = {
  // A stored `pending` instance is a start queued while its workflow is paused (a fresh start is
  // pending only inside its own transaction), so it reads as what it is.
  pending: { label: "Queued", className: "bg-slate-100 text-slate-700 ring-slate-300", Icon: CircleDashed },
  running: { label: "Running", className: "bg-sky-50 text-sky-800 ring-sky-300", Icon: Loader2 },
  waiting: { label: "Waiting", className: "bg-violet-50 text-violet-800 ring-violet-300", Icon: Hourglass },
  paused: { label: "Paused", className: "bg-amber-50 text-amber-900 ring-amber-300", Icon: PauseCircle },
  draining: { label: "Draining", className: "bg-orange-50 text-orange-900 ring-orange-300", Icon: Clock },
  completed: { label: "Completed", className: "bg-emerald-50 text-emerald-800 ring-emerald-300", Icon: CheckCircle2 },
  failed: { label: "Failed", className: "bg-red-50 text-red-800 ring-red-300", Icon: XCircle },
  cancelled: { label: "Cancelled", className: "bg-slate-100 text-slate-700 ring-slate-300", Icon: Ban },
  timed_out: { label: "Timed out", className: "bg-red-50 text-red-800 ring-red-300", Icon: TimerOff },
};

/**
 * Colour, icon and word together: status is never told by colour alone. `data-status` carries the
 * shown state (`draining` for a paused instance whose steps are still finishing) for tests and bench:live.
 */
export function StatusBadge({ status, draining = 0 }: { status: InstanceStatus; draining?: number }) {
  const key = status === "paused" && draining > 0 ? "draining" : status;
  const { label, className, Icon } = styles[key];
  return (
    <span data-status={key} className={cn("inline-flex items-center gap-1 whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset", className)}>
      <Icon aria-hidden className="size-3.5" />
      {label}
      {key === "draining" && <span className="font-normal">({draining} finishing)</span>}
    </span>
  );
}
