import { Hand, ShieldCheck } from "lucide-react";
import type { GateSpec } from "@/lib/domain";

/** Who a gate needs, in a few words: "(2 approvals)", "(one each: approver, admin)". */
export function gateRequirement(gate: GateSpec): string {
  if (gate.mode === "per_role") return ` (one each: ${gate.roles?.join(", ") ?? ""})`;
  if (gate.mode === "all") return " (every named approver)";
  return (gate.approvals ?? 1) > 1 ? ` (${gate.approvals} approvals)` : "";
}

export function GateBadge({ gate, prefix = "" }: { gate: GateSpec; prefix?: string }) {
  return (
    <span className="inline-flex items-center gap-0.5 rounded bg-violet-50 px-1.5 text-xs font-normal text-violet-800">
      <ShieldCheck className="size-3" aria-hidden /> {prefix}
      {gate.stage}
      {gateRequirement(gate)}
    </span>
  );
}

export function ReviewPointBadge() {
  return (
    <span className="inline-flex items-center gap-0.5 rounded bg-amber-50 px-1.5 text-xs font-normal text-amber-900">
      <Hand className="size-3" aria-hidden /> review point
    </span>
  );
}
