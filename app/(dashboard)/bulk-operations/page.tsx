import type { Metadata } from "next";
import Link from "next/link";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { describeBulkFilter } from "@/lib/bulk-operations/describe";
import { listBulkOperations } from "@/lib/bulk-operations/queries";
import { listWorkflowKeys } from "@/lib/instances/queries";
import { BulkStateBadge } from "./state-badge";

export const metadata: Metadata = { title: "Bulk operations" };

/** Every pause or resume by filter, newest first: who, when, why, what it matched, how far it got. */
export default async function BulkOperationsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePage("instances:read");
  const { cursor } = await searchParams;
  const db = getDb();
  const [page, workflows] = await Promise.all([listBulkOperations(db, { cursor: typeof cursor === "string" ? cursor : undefined, limit: 50 }), listWorkflowKeys(db)]);
  const names = new Map(workflows.map((w) => [w.key, w.name]));
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Bulk operations</h1>
        <p className="text-sm text-slate-600">Pauses and resumes of every instance a filter matched, newest first. Start one from the instance list: filter it, then “Pause all matching”.</p>
      </div>
      {page.items.length === 0 ? (
        <p className="rounded-lg border border-slate-200 bg-white p-6 text-center text-sm text-slate-500">No bulk operation yet.</p>
      ) : (
        <ul aria-label="Bulk operations" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {page.items.map((op) => (
            <li key={op.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 p-3 text-sm">
              <BulkStateBadge state={op.state} />
              <Link href={`/bulk-operations/${op.id}`} className="min-w-0 font-medium text-indigo-700 underline-offset-2 hover:underline">
                {op.action === "pause" ? "Pause" : "Resume"} {op.matched.toLocaleString("en")} {describeBulkFilter(op.action, op.filter, op.filter.workflow ? names.get(op.filter.workflow) : undefined)}
              </Link>
              <span className="text-slate-600">
                {op.done.toLocaleString("en")} of {op.matched.toLocaleString("en")} done{op.counts.refused ? `, ${op.counts.refused.toLocaleString("en")} refused` : ""}
              </span>
              <span className="w-full min-w-0 break-words text-xs text-slate-500 sm:ml-auto sm:w-auto">
                by {op.actorLabel} <RelativeTime value={op.createdAt} />
                {op.reason ? `: ${op.reason}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
      {page.nextCursor && (
        <Link href={`/bulk-operations?cursor=${encodeURIComponent(page.nextCursor)}`} className="text-sm text-indigo-700 underline">
          Older operations
        </Link>
      )}
    </div>
  );
}
