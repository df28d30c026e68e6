import { ShieldAlert, ShieldCheck, ShieldQuestion } from "lucide-react";
import type { AuditCheckpoint } from "@/lib/rows";
import { utc } from "@/lib/time";

/**
 * How far the history's hash chains are proven, from the last `npm run audit:verify`, and how
 * many rows came after it: a checkpoint proves only the rows it covered, and the page re-renders
 * on every change (live updates), so the count stays current.
 */
export function ChainStatus({ checkpoint, unverifiedRows }: { checkpoint: AuditCheckpoint | null; unverifiedRows: number }) {
  if (!checkpoint) {
    return (
      <p role="status" className="flex items-center gap-2 rounded-md border border-slate-200 bg-white px-3 py-2 text-sm text-slate-600">
        <ShieldQuestion className="size-4 shrink-0" aria-hidden /> The chain has not been verified yet: run <code className="font-mono">npm run audit:verify</code>.
      </p>
    );
  }
  if (checkpoint.ok === "broken") {
    return (
      <p role="alert" className="flex items-center gap-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
        <ShieldAlert className="size-4 shrink-0" aria-hidden /> Chain broken at history row {checkpoint.brokenHistoryId}: {checkpoint.problem} (found {utc(checkpoint.verifiedAt)}).
      </p>
    );
  }
  return (
    <p role="status" className="flex items-center gap-2 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
      <ShieldCheck className="size-4 shrink-0" aria-hidden />
      <span>
        Chain verified through row {checkpoint.throughId} at {utc(checkpoint.verifiedAt)}: {checkpoint.rows} rows in {checkpoint.chains} chains, unaltered.
        {unverifiedRows > 0 && (
          <>
            {" "}
            <strong className="font-medium">
              {unverifiedRows} newer {unverifiedRows === 1 ? "row" : "rows"} not verified yet
            </strong>
            : run <code className="font-mono">npm run audit:verify</code> to extend the proof.
          </>
        )}
      </span>
    </p>
  );
}
