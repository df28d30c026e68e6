import { CircleCheck, CircleSlash, Loader } from "lucide-react";
import { cn } from "@/components/ui/cn";
import { bulkStateLabel } from "@/lib/bulk-operations/describe";
import type { BulkOperationState } from "@/lib/domain";

const look: Record<BulkOperationState, { icon: typeof Loader; className: string }> = {
  running: { icon: Loader, className: "border-sky-200 bg-sky-50 text-sky-800" },
  completed: { icon: CircleCheck, className: "border-emerald-200 bg-emerald-50 text-emerald-800" },
  cancelled: { icon: CircleSlash, className: "border-slate-300 bg-slate-100 text-slate-700" },
};

/** An operation's state: colour, icon and word, never colour alone. */
export function BulkStateBadge({ state }: { state: BulkOperationState }) {
  const { icon: Icon, className } = look[state];
  return (
    <span className={cn("inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-medium", className)}>
      <Icon className="size-3.5" aria-hidden /> {bulkStateLabel[state]}
    </span>
  );
}
