import type { Metadata } from "next";
import Link from "next/link";
import { BulkOperationLink } from "@/components/bulk-operation-link";
import { LogTable } from "@/components/log-table";
import { actionLabels } from "@/components/history-timeline";
import { RelativeTime } from "@/components/relative-time";
import { StatusBadge } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { getDb } from "@/db/client";
import { historyActions, reasonCategories } from "@/db/schema";
import { ChainStatus } from "@/components/chain-status";
import { ReasonTags } from "@/components/reason-tags";
import { ExportButton } from "./export-button";
import { latestCheckpoint, rowsAfter } from "@/lib/audit/checkpoints";
import { listHistoryForPage } from "@/lib/audit/queries";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { listWorkflowKeys } from "@/lib/instances/queries";

export const metadata: Metadata = { title: "History" };

type Params = Record<string, string | string[] | undefined>;
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

export default async function HistoryPage({ searchParams }: { searchParams: Promise<Params> }) {
  const user = await requirePage("history:read");
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, first(v)]));
  const db = getDb();
  // Same schema as the API; a bad filter or cursor shows beside the form instead of an error page.
  const [workflows, { page, errors }, checkpoint] = await Promise.all([listWorkflowKeys(db), listHistoryForPage(db, raw), latestCheckpoint(db)]);
  const unverified = checkpoint ? await rowsAfter(db, checkpoint.throughId) : 0;
  // The filter without its page position: what links to other pages keep, and the form's identity.
  const filterEntries = Object.entries(raw).filter(([k, v]) => v && k !== "cursor" && k !== "before");
  const filterQuery = new URLSearchParams(filterEntries).toString();
  const pageHref = (position: { cursor: string } | { before: string }) => `/history?${new URLSearchParams({ ...Object.fromEntries(filterEntries), ...position }).toString()}`;

  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">History</h1>
        <p className="text-sm text-slate-600">
          Everything that happened to every instance: who, what, when and why. Newest first. Pauses of whole workflows are in the{" "}
          <Link href="/history/workflows" className="text-indigo-700 underline">
            workflow pause log
          </Link>
          .
          {can(user, "access:read") && (
            <>
              {" "}
              Changes to users, roles and tokens are in the{" "}
              <Link href="/history/access" className="text-indigo-700 underline">
                access log
              </Link>
              .
            </>
          )}
        </p>
      </div>

      <div className="flex flex-wrap items-start justify-between gap-3">
        <ChainStatus checkpoint={checkpoint} unverifiedRows={unverified} />
        {page && <ExportButton query={new URLSearchParams(filterEntries.filter(([k]) => k !== "limit")).toString()} />}
      </div>

      {/* Keyed by the filter: its fields are uncontrolled, so a client-side navigation to another
          filter (Clear, a link) must remount them, or they keep showing the filter left behind. */}
      <form key={filterQuery} method="get" role="search" aria-label="Filter history" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
        <FilterField id="action" label="Action">
          <Select id="action" name="action" defaultValue={raw.action}>
            <option value="">Any action</option>
            {historyActions.map((a) => (
              <option key={a} value={a}>
                {actionLabels[a]}
              </option>
            ))}
          </Select>
        </FilterField>
        <FilterField id="actor" label="Actor">
          <Input id="actor" name="actor" defaultValue={raw.actor} placeholder="email, or its start" />
        </FilterField>
        <FilterField id="workflow" label="Workflow">
          <Select id="workflow" name="workflow" defaultValue={raw.workflow}>
            <option value="">All workflows</option>
            {workflows.map((w) => (
              <option key={w.key} value={w.key}>
                {w.name}
              </option>
            ))}
          </Select>
        </FilterField>
        <FilterField id="from" label="From (UTC)" error={errors.from?.[0]}>
          <Input id="from" name="from" type="date" defaultValue={raw.from} />
        </FilterField>
        <FilterField id="to" label="To (UTC)" error={errors.to?.[0]}>
          <Input id="to" name="to" type="date" defaultValue={raw.to} />
        </FilterField>
        <FilterField id="category" label="Category">
          <Select id="category" name="category" defaultValue={raw.category}>
            <option value="">Any category</option>
            {reasonCategories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </Select>
        </FilterField>
        <FilterField id="q" label="Reason contains">
          <Input id="q" name="q" defaultValue={raw.q} />
        </FilterField>
        <FilterField id="instanceId" label="Instance id" error={errors.instanceId?.[0]}>
          <Input id="instanceId" name="instanceId" defaultValue={raw.instanceId} placeholder="full id" className="font-mono" />
        </FilterField>
        <Button type="submit">Apply filters</Button>
        <Link href="/history" className="text-sm text-slate-600 underline">
          Clear
        </Link>
      </form>

      {!page && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          {Object.values(errors).flat()[0] ?? "These filters are not valid"}
        </p>
      )}

      <LogTable caption="History entries" columns={["When", "Action", "Actor", "Instance", "Workflow", "Status", "Reason"]} empty={page && page.items.length === 0 ? "No history matches these filters." : null}>
        {page?.items.map((row) => (
          <tr key={row.id} className="align-top hover:bg-slate-50">
            <td className="px-3 py-2"><RelativeTime value={row.createdAt} /></td>
            <td className="px-3 py-2 font-medium">{actionLabels[row.action]}</td>
            <td className="px-3 py-2">{row.actorLabel}</td>
            <td className="px-3 py-2">
              <Link href={`/instances/${row.instanceId}`} className="font-mono text-xs text-indigo-700 hover:underline" aria-label={`Open instance ${row.instanceId}`}>
                {row.instanceId.slice(0, 8)}
              </Link>
            </td>
            <td className="px-3 py-2">{row.workflowKey}</td>
            <td className="whitespace-nowrap px-3 py-2">
              {row.fromStatus && row.toStatus && row.fromStatus !== row.toStatus ? (
                <span className="flex items-center gap-1">
                  <StatusBadge status={row.fromStatus} /> → <StatusBadge status={row.toStatus} />
                </span>
              ) : null}
            </td>
            <td className="max-w-md break-words px-3 py-2 text-slate-800">
              {row.reason}
              <ReasonTags category={row.details.category} ticketUrl={row.details.ticketUrl} />
              <BulkOperationLink details={row.details} />
            </td>
          </tr>
        ))}
      </LogTable>
      <nav aria-label="History pages" className="flex flex-wrap justify-end gap-2">
        {page?.prevCursor && (
          <>
            <Link href={`/history${filterQuery ? `?${filterQuery}` : ""}`} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm">
              First page
            </Link>
            <Link href={pageHref({ before: page.prevCursor })} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm">
              Previous page
            </Link>
          </>
        )}
        {page?.nextCursor && (
          <Link href={pageHref({ cursor: page.nextCursor })} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm">
            Next page
          </Link>
        )}
      </nav>
    </div>
  );
}

function FilterField({ id, label, error, children }: { id: string; label: string; error?: string; children: React.ReactNode }) {
  return (
    <div className="w-44">
      <label htmlFor={id} className="mb-1 block text-xs font-medium text-slate-600">
        {label}
      </label>
      {children}
      {error && <p className="mt-1 text-xs text-red-700">{error}</p>}
    </div>
  );
}
