import type { Metadata } from "next";
import { cookies } from "next/headers";
import Link from "next/link";
import { AutoRefresh } from "@/components/auto-refresh";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { Select } from "@/components/ui/field";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { decidableIds, delegateCandidatesFor, gateFilterOptions, gateForReview, INBOX_PAGE, inboxFor, instanceGatesForReview, pendingForReview, recentlyDecided } from "@/lib/gates/queries";
import { APPROVALS_LAYOUT_COOKIE, defaultOrder, parseApprovalsFilter, type ApprovalView } from "@/lib/gates/review-filter";
import { GateCard } from "./gate-card";
import { GateRow } from "./gate-row";
import { LayoutToggle } from "./layout-toggle";

export const metadata: Metadata = { title: "Approvals" };

export default async function ApprovalsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePage("instances:read");
  const filter = parseApprovalsFilter(await searchParams);
  const layout = (await cookies()).get(APPROVALS_LAYOUT_COOKIE)?.value === "compact" ? "compact" : "cards";
  const decider = can(user, "gates:decide");
  const { view } = filter;
  const order = filter.order ?? defaultOrder(view);
  const narrow = { workflow: filter.workflow, stage: filter.stage, order };
  // `?instance=`: one instance's gates, whatever their state (the instance page links here).
  const instanceId = filter.instance ?? null;
  const db = getDb();
  const [listed, options] = await Promise.all([
    instanceId
      ? instanceGatesForReview(db, instanceId)
      : view === "decided"
        ? recentlyDecided(db, 50, narrow)
        : decider
          ? inboxFor(db, user, narrow)
          : pendingForReview(db, narrow),
    gateFilterOptions(db),
  ]);
  // The gate whose dialog is open in this tab stays on the page once someone else settles it,
  // so the open dialog (and what was typed in it) is not taken away; see GateActions.
  const heldId = decider ? (filter.open ?? null) : null;
  const held = heldId && !listed.some((i) => i.gate.id === heldId) ? await gateForReview(db, heldId) : undefined;
  const items = held ? [...listed, held] : listed;
  // Actions only on the gates this user may decide now; every other card is read-only.
  const mine = decider ? decidableIds(user, items) : new Set<string>();
  const delegates = mine.size ? await delegateCandidatesFor(db, user, items.filter((i) => mine.has(i.gate.id))) : new Map<string, { email: string; name: string }[]>();
  const controlsFor = (id: string) => (mine.has(id) ? (delegates.get(id) ?? []) : id === heldId ? [] : undefined);
  const views: { value: ApprovalView; label: string }[] = [
    { value: "pending", label: decider ? "Waiting for me" : "Pending" },
    { value: "decided", label: "Decided" },
  ];
  const hrefFor = (patch: Record<string, string | undefined>) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({ view: view === "pending" ? undefined : view, workflow: filter.workflow, stage: filter.stage, order: filter.order, ...patch })) if (v) params.set(k, v);
    const qs = params.toString();
    return qs ? `/approvals?${qs}` : "/approvals";
  };
  const filtered = !!(filter.workflow || filter.stage);

  return (
    <div className="space-y-4">
      {/* Every gate change writes an event: the live stream refreshes this page; polling only while it is down. */}
      <AutoRefresh fallback />
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Approvals</h1>
        <p className="text-sm text-slate-600">
          {instanceId
            ? "Every gate of one instance, in the order they were requested."
            : decider
              ? `Gates waiting for your decision, ${order} first. You never see requests you started yourself.`
              : `Gates waiting for an approver, ${order} first, and those recently decided. Your role reads approvals; approvers decide them.`}
        </p>
        {decider && !instanceId && view === "pending" && listed.length >= INBOX_PAGE && (
          <p role="status" className="mt-1 text-sm text-slate-600">
            The {order} {INBOX_PAGE} of the gates waiting for you; each one you decide brings the next.
          </p>
        )}
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
        <div className="flex flex-wrap items-end gap-3">
          <nav aria-label="Approval views" className="inline-flex rounded-md border border-slate-300 bg-white p-0.5 text-sm">
            {views.map((v) => (
              <Link key={v.value} href={hrefFor({ view: v.value === "pending" ? undefined : v.value, order: undefined })} aria-current={view === v.value ? "page" : undefined} className={cn("rounded px-3 py-1.5 font-medium", view === v.value ? "bg-slate-900 text-white dark:bg-indigo-600" : "text-slate-700 hover:bg-slate-100")}>
                {v.label}
              </Link>
            ))}
          </nav>
          {/* A plain GET form: the filter lives in the URL, works without JavaScript, and the back button undoes it. */}
          <form method="get" action="/approvals" aria-label="Filter approvals" className="flex flex-wrap items-end gap-3">
            {view !== "pending" && <input type="hidden" name="view" value={view} />}
            <div className="w-full sm:w-48">
              <label htmlFor="approvals-workflow" className="mb-1 block text-xs font-medium text-slate-600">Workflow</label>
              <Select id="approvals-workflow" name="workflow" defaultValue={filter.workflow ?? ""}>
                <option value="">All workflows</option>
                {options.workflows.map((w) => (
                  <option key={w.key} value={w.key}>{w.name}</option>
                ))}
              </Select>
            </div>
            <div className="w-full sm:w-48">
              <label htmlFor="approvals-stage" className="mb-1 block text-xs font-medium text-slate-600">Stage</label>
              <Select id="approvals-stage" name="stage" defaultValue={filter.stage ?? ""}>
                <option value="">All stages</option>
                {options.stages.map((s) => (
                  <option key={s} value={s}>{s}</option>
                ))}
              </Select>
            </div>
            <div className="w-full sm:w-36">
              <label htmlFor="approvals-order" className="mb-1 block text-xs font-medium text-slate-600">Order</label>
              <Select id="approvals-order" name="order" defaultValue={order}>
                <option value="oldest">Oldest first</option>
                <option value="newest">Newest first</option>
              </Select>
            </div>
            <Button type="submit" variant="secondary" size="sm">Apply</Button>
            {filtered && (
              <Link href={hrefFor({ workflow: undefined, stage: undefined })} className="text-sm text-indigo-700 underline">Clear filters</Link>
            )}
          </form>
          <div className="sm:ml-auto">
            <LayoutToggle layout={layout} />
          </div>
        </div>
      )}
      {items.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-500">{filtered ? "No gate matches these filters." : emptyMessage(instanceId !== null, view, decider)}</p>
      ) : layout === "compact" ? (
        <ul aria-label="Gates" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {items.map((item) => (
            <GateRow key={item.gate.id} item={item} delegates={controlsFor(item.gate.id)} held={item.gate.id === heldId} />
          ))}
        </ul>
      ) : (
        <div className="space-y-3">
          {items.map((item) => (
            <GateCard key={item.gate.id} item={item} delegates={controlsFor(item.gate.id)} held={item.gate.id === heldId} />
          ))}
        </div>
      )}
    </div>
  );
}

function emptyMessage(oneInstance: boolean, view: ApprovalView, decider: boolean): string {
  if (oneInstance) return "This instance has no approval gates.";
  if (view === "decided") return "No gate has been decided yet.";
  return decider ? "Nothing waits for you. New requests appear here as instances reach their gates." : "No gate is waiting for approval.";
}
