import type { Metadata } from "next";
import Link from "next/link";
import { AutoRefresh } from "@/components/auto-refresh";
import { cn } from "@/components/ui/cn";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { isUuid } from "@/lib/domain";
import { decidableIds, delegateCandidatesFor, inboxFor, instanceGatesForReview, pendingForReview, recentlyDecided } from "@/lib/gates/queries";
import { GateCard } from "./gate-card";

export const metadata: Metadata = { title: "Approvals" };

type View = "pending" | "decided";

export default async function ApprovalsPage({ searchParams }: { searchParams: Promise<{ view?: string; instance?: string }> }) {
  const user = await requirePage("instances:read");
  const params = await searchParams;
  const decider = can(user, "gates:decide");
  const view: View = params.view === "decided" ? "decided" : "pending";
  // `?instance=`: one instance's gates, whatever their state (the instance page links here).
  const instanceId = params.instance && isUuid(params.instance) ? params.instance : null;
  const db = getDb();
  const items = instanceId
    ? await instanceGatesForReview(db, instanceId)
    : view === "decided"
      ? await recentlyDecided(db)
      : decider
        ? await inboxFor(db, user)
        : await pendingForReview(db);
  // Actions only on the gates this user may decide now; every other card is read-only.
  const mine = decider ? decidableIds(user, items) : new Set<string>();
  const delegates = mine.size ? await delegateCandidatesFor(db, user, items.filter((i) => mine.has(i.gate.id))) : new Map<string, { email: string; name: string }[]>();
  const views: { value: View; label: string }[] = [
    { value: "pending", label: decider ? "Waiting for me" : "Pending" },
    { value: "decided", label: "Decided" },
  ];

  return (
    <div className="space-y-4">
      <AutoRefresh everyMs={5000} />
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Approvals</h1>
        <p className="text-sm text-slate-600">
          {instanceId
            ? "Every gate of one instance, in the order they were requested."
            : decider
              ? "Gates waiting for your decision, oldest first. You never see requests you started yourself."
              : "Gates waiting for an approver, oldest first, and those recently decided. Your role reads approvals; approvers decide them."}
        </p>
      </div>
      {instanceId ? (
        <p className="text-sm">
          <Link href={`/instances/${instanceId}`} className="text-indigo-700 underline">
            Back to the instance
          </Link>{" "}
          ·{" "}
          <Link href="/approvals" className="text-indigo-700 underline">
            All approvals
          </Link>
        </p>
      ) : (
        <nav aria-label="Approval views" className="inline-flex rounded-md border border-slate-300 bg-white p-0.5 text-sm">
          {views.map((v) => (
            <Link key={v.value} href={v.value === "pending" ? "/approvals" : "/approvals?view=decided"} aria-current={view === v.value ? "page" : undefined} className={cn("rounded px-3 py-1.5 font-medium", view === v.value ? "bg-slate-900 text-white dark:bg-indigo-600" : "text-slate-700 hover:bg-slate-100")}>
              {v.label}
            </Link>
          ))}
        </nav>
      )}
      {items.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-500">{emptyMessage(instanceId !== null, view, decider)}</p>
      ) : (
        <div className="space-y-3">
          {items.map((item) => (
            <GateCard key={item.gate.id} item={item} delegates={mine.has(item.gate.id) ? (delegates.get(item.gate.id) ?? []) : undefined} />
          ))}
        </div>
      )}
    </div>
  );
}

function emptyMessage(oneInstance: boolean, view: View, decider: boolean): string {
  if (oneInstance) return "This instance has no approval gates.";
  if (view === "decided") return "No gate has been decided yet.";
  return decider ? "Nothing waits for you. New requests appear here as instances reach their gates." : "No gate is waiting for approval.";
}
