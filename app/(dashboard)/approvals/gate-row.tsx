import Link from "next/link";
import { RelativeTime } from "@/components/relative-time";
import type { InboxItem } from "@/lib/gates/queries";
import { whoMayApprove } from "@/lib/gates/rules";
import { GateControls, statusStyle } from "./gate-card";

/**
 * The compact layout's line for a gate: stage, status and progress, workflow and instance, who
 * asked and since when, and the same actions as the card. Instructions, context and decisions
 * stay on the card (and the instance page); this is for working through a long queue.
 */
export function GateRow({ item, delegates, held }: { item: InboxItem; delegates?: { email: string; name: string }[]; held?: boolean }) {
  const { gate } = item;
  return (
    <li>
      <article aria-labelledby={`gate-${gate.id}`} className="flex flex-wrap items-center gap-x-4 gap-y-2 px-3 py-2 text-sm">
        <h2 id={`gate-${gate.id}`} className="min-w-0 break-words font-semibold">
          {gate.stage}
        </h2>
        <span className={`rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${statusStyle[gate.status]}`}>{gate.status}</span>
        <span className="text-slate-600">{item.progress}</span>
        <span className="text-slate-600">
          {item.workflowName} ·{" "}
          <Link href={`/instances/${gate.instanceId}`} className="font-mono text-indigo-700 hover:underline" aria-label={`Open instance ${gate.instanceId}`}>
            {gate.instanceId.slice(0, 8)}
          </Link>
        </span>
        <span className="text-slate-600">
          by {gate.requestedByLabel}, <RelativeTime value={gate.requestedAt} />
        </span>
        <span className="text-xs text-slate-500">
          {whoMayApprove(gate)}
          {item.quorum ? `; quorum ${item.quorum}` : ""}
        </span>
        {item.instanceStatus === "paused" && <span className="rounded bg-amber-50 px-1.5 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-inset ring-amber-300">instance paused</span>}
        <div className="ml-auto">
          <GateControls item={item} delegates={delegates} held={held} />
        </div>
      </article>
    </li>
  );
}
