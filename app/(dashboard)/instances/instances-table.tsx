"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import Link from "next/link";
import { useQueryStates } from "nuqs";
import { useEffect, useRef, useState } from "react";
import { CopyId } from "@/components/copy-id";
import { LiveScope } from "@/components/live-scope";
import { useFallbackPoll } from "@/components/live-status";
import { ReasonTags } from "@/components/reason-tags";
import { RelativeTime } from "@/components/relative-time";
import { StatusBadge } from "@/components/status-badge";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { cn } from "@/components/ui/cn";
import { useSlashToFocus } from "@/components/use-slash-to-focus";
import type { InstanceStatus } from "@/lib/domain";
import type { InstanceListItem } from "@/lib/instances/queries";
import type { Jsonify } from "@/lib/jsonify";
import { BulkBar, type BulkOutcome } from "./bulk-bar";
import { BulkByFilter } from "./bulk-by-filter";
import { BulkResults } from "./bulk-results";
import { SavedViews } from "./saved-views";
import type { SavedViewItem } from "@/lib/instances/saved-views";
import { instanceSortLabels, instanceSorts, listFilterParsers, toQueryString, type ListFilters } from "@/lib/instances/list-filter";
import { COUNT_CAP, formatCount } from "@/lib/instances/limits";

type Item = Jsonify<InstanceListItem>;
type Page = { items: Item[]; nextCursor: string | null };

const views: { value: ListFilters["status"]; label: string }[] = [
  { value: "running", label: "Running" },
  { value: "paused", label: "Paused" },
  { value: "waiting", label: "Waiting" },
  { value: "completed", label: "Completed" },
  { value: "failed", label: "Failed" },
  { value: "cancelled", label: "Cancelled" },
  { value: "timed_out", label: "Timed out" },
  { value: "all", label: "All" },
];

/** An API error with its per-field messages, so the list can show a bad search under its field. */
class ListError extends Error {
  constructor(message: string, readonly fields: Record<string, string[]>) {
    super(message);
  }
}

const column = createColumnHelper<Item>();
const columns = [
  column.accessor("id", {
    header: "Instance",
    cell: (c) => (
      <span className="inline-flex items-center gap-1">
        <Link href={`/instances/${c.getValue()}`} className="font-mono text-xs font-medium text-indigo-700 underline-offset-2 hover:underline" aria-label={`Open instance ${c.getValue()}`}>
          {c.getValue().slice(0, 8)}
        </Link>
        <CopyId id={c.getValue()} buttonOnly />
      </span>
    ),
  }),
  column.accessor("workflowName", { header: "Workflow", cell: (c) => <span className="whitespace-nowrap">{c.getValue()} <span className="text-xs text-slate-500">v{c.row.original.workflowVersion}</span></span> }),
  column.accessor("currentSteps", {
    header: "Current step",
    cell: (c) =>
      c.getValue().length ? (
        c.getValue().join(", ")
      ) : c.row.original.nextSteps.length ? (
        // Paused before a gate it asks only on resume: no step is current, but where it goes is known.
        <span className="text-slate-600">next: {c.row.original.nextSteps.join(", ")}</span>
      ) : (
        <span className="text-slate-500">—</span>
      ),
  }),
  column.accessor("status", { header: "Status", cell: (c) => <StatusBadge status={c.getValue()} draining={c.row.original.drainingSteps} /> }),
  column.display({ id: "since", header: "Since", cell: (c) => <RelativeTime value={c.row.original.status === "paused" ? c.row.original.pausedAt : c.row.original.updatedAt} /> }),
  column.accessor("pausedByLabel", {
    header: "Paused by",
    cell: (c) =>
      c.getValue() ? (
        <>
          <span className="break-all">{c.getValue()}</span>
          {c.row.original.pausedByExplanation && <span className="block text-xs text-slate-500">{c.row.original.pausedByExplanation}</span>}
        </>
      ) : (
        <span className="text-slate-500">—</span>
      ),
  }),
  column.accessor("pauseReason", {
    header: "Reason",
    cell: (c) => {
      const { resumeAt, waitingFor, pauseCategory, pauseTicketUrl } = c.row.original;
      return (
        <div className="max-w-xs space-y-0.5">
          {c.getValue() && (
            <span className="line-clamp-2" title={c.getValue() ?? undefined}>
              {c.getValue()} <ReasonTags category={pauseCategory} ticketUrl={pauseTicketUrl} />
            </span>
          )}
          {/* Outside the clamp: when it resumes matters more than the reason's third line. */}
          {resumeAt && <span className="block text-xs font-medium text-slate-700">resumes <RelativeTime value={resumeAt} /></span>}
          {waitingFor.map((g, i) => (
            <span key={`${g.stage}-${i}`} className="block text-xs text-violet-900">
              Waits for approval: <span className="font-medium">{g.stage}</span>, by {g.whoMayApprove}
            </span>
          ))}
          {!c.getValue() && !waitingFor.length && <span className="text-slate-500">—</span>}
        </div>
      );
    },
  }),
];

export function InstancesTable({ workflows, initialCounts, initial, canPause, canResume, savedViews, canDeleteShared }: { workflows: { key: string; name: string }[]; initialCounts: Partial<Record<InstanceStatus, number>>; initial: { filters: ListFilters; page: Page } | null; canPause: boolean; canResume: boolean; savedViews: SavedViewItem[]; canDeleteShared: boolean }) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const selectable = canPause || canResume;
  const [filters, setFilters] = useQueryStates(listFilterParsers, { history: "replace" });
  const [cursors, setCursors] = useState<string[]>([]);
  const qs = toQueryString(filters);
  // Live updates refresh the list and counts at once; they poll only while the stream is down.
  const fallbackPoll = useFallbackPoll();
  const query = useQuery({
    queryKey: ["instances", qs],
    queryFn: async ({ signal }): Promise<Page> => {
      const response = await fetch(`/api/v1/instances?${qs}`, { signal });
      const body = (await response.json()) as Page | { error: { message: string; fields?: Record<string, string[]> } };
      if ("error" in body) throw new ListError(body.error.message, body.error.fields ?? {});
      return body;
    },
    initialData: initial && toQueryString(initial.filters) === qs ? initial.page : undefined,
    placeholderData: keepPreviousData,
    // A bad search is the user's to fix, not a network blip to retry.
    retry: (failures, error) => !(error instanceof ListError) && failures < 3,
    refetchInterval: fallbackPoll,
  });
  const counts = useQuery({
    queryKey: ["instance-counts"],
    queryFn: async () => {
      const response = await fetch("/api/v1/instances/counts");
      return (await response.json()) as Partial<Record<InstanceStatus, number>>;
    },
    initialData: initialCounts,
    refetchInterval: fallbackPoll,
  });
  const items = query.data?.items ?? [];
  const toggle = (id: string) => setSelected((prev) => {
    const next = new Set(prev);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  const allOnPage = items.length > 0 && items.every((i) => selected.has(i.id));
  const selectColumn = column.display({
    id: "select",
    header: () => (
      <input type="checkbox" aria-label="Select every instance on this page" checked={allOnPage} onChange={() => setSelected(allOnPage ? new Set() : new Set(items.map((i) => i.id)))} />
    ),
    cell: (c) => <input type="checkbox" aria-label={`Select instance ${c.row.original.id}`} checked={selected.has(c.row.original.id)} onChange={() => toggle(c.row.original.id)} />,
  });
  const table = useReactTable({ data: items, columns: selectable ? [selectColumn, ...columns] : columns, getCoreRowModel: getCoreRowModel(), getRowId: (r) => r.id });
  const [bulkOutcome, setBulkOutcome] = useState<BulkOutcome | null>(null);
  // The refused stay selected, to act on again; what went through leaves the selection.
  const onBulkResult = (outcome: BulkOutcome) => {
    setBulkOutcome(outcome);
    setSelected(new Set(outcome.summary.results.filter((r) => !r.ok).map((r) => r.instanceId)));
    void query.refetch();
    void counts.refetch();
  };
  // Names for the results panel, from the rows on screen (an instance off this page shows its id alone).
  const workflowNames = new Map(items.map((i) => [i.id, workflows.find((w) => w.key === i.workflowKey)?.name ?? i.workflowKey]));
  const search = useRef<HTMLInputElement>(null);
  useSlashToFocus(search);
  const fieldError = (field: string) => (query.error instanceof ListError ? query.error.fields[field]?.[0] : undefined);
  // The input search applies on Enter or Search: a half-typed `customer=` is not an error yet.
  const [inputText, setInputText] = useState(filters.input);
  // A saved view or the back button changes the URL: the field follows it.
  useEffect(() => setInputText(filters.input), [filters.input]);
  const setFilter = (patch: Partial<ListFilters>) => {
    setCursors([]);
    void setFilters({ ...patch, cursor: null });
  };

  return (
    <div className="space-y-3">
      {/* The rows and counts live in React Query, which the stream invalidates: no server re-render needed. */}
      <LiveScope none />
      <div className="flex flex-wrap items-end gap-3">
        <div role="group" aria-label="View" className="flex flex-wrap gap-0.5 rounded-md border border-slate-300 bg-white p-0.5">
          {views.map((v) => {
            // A capped status (COUNT_CAP + 1) keeps the total "at least": formatCount shows it as "N+".
            const count = v.value === "all" ? Object.values(counts.data ?? {}).reduce((a, b) => (a > COUNT_CAP ? a : Math.min(a + (b ?? 0), COUNT_CAP + 1)), 0) : counts.data?.[v.value];
            return (
              <button
                key={v.value}
                type="button"
                aria-pressed={filters.status === v.value}
                onClick={() => setFilter({ status: v.value })}
                className={cn("rounded px-3 py-1.5 text-sm font-medium", filters.status === v.value ? "bg-slate-900 text-white dark:bg-indigo-600" : "text-slate-700 hover:bg-slate-100")}
              >
                {v.label} <span className={cn("ml-1 text-xs", filters.status === v.value ? "text-slate-300 dark:text-indigo-100" : "text-slate-500")}>{formatCount(count ?? 0)}</span>
              </button>
            );
          })}
        </div>
        <div className="w-40">
          <label htmlFor="sort-by" className="mb-1 block text-xs font-medium text-slate-600">
            Sort by
          </label>
          <Select id="sort-by" value={filters.sort} onChange={(e) => setFilter({ sort: e.target.value as ListFilters["sort"] })}>
            {instanceSorts.map((s) => (
              <option key={s} value={s}>
                {instanceSortLabels[s]}
              </option>
            ))}
          </Select>
        </div>
        <div className="w-full sm:w-52">
          <label htmlFor="workflow-filter" className="mb-1 block text-xs font-medium text-slate-600">
            Workflow
          </label>
          <Select id="workflow-filter" value={filters.workflow} onChange={(e) => setFilter({ workflow: e.target.value })}>
            <option value="">All workflows</option>
            {workflows.map((w) => (
              <option key={w.key} value={w.key}>
                {w.name}
              </option>
            ))}
          </Select>
        </div>
        <div className="w-full sm:w-64">
          <label htmlFor="id-search" className="mb-1 block text-xs font-medium text-slate-600">
            Search by id
          </label>
          <Input ref={search} id="id-search" type="search" aria-keyshortcuts="/" title="Press / to search" placeholder="e.g. 4f2a9c1e" defaultValue={filters.q} onChange={(e) => setFilter({ q: e.target.value })} className="font-mono" />
        </div>
        <form
          role="search"
          aria-label="Search by input fields"
          className="w-full sm:w-80"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter({ input: inputText.trim() });
          }}
        >
          <label htmlFor="input-search" className="mb-1 block text-xs font-medium text-slate-600">
            Input fields
          </label>
          <div className="flex gap-2">
            <Input
              id="input-search"
              type="search"
              placeholder="e.g. customer=acme, region=eu"
              value={inputText}
              onChange={(e) => setInputText(e.target.value)}
              aria-invalid={fieldError("input") ? true : undefined}
              aria-describedby="input-search-help input-search-error"
              className="font-mono"
            />
            <Button type="submit" variant="secondary" size="sm">
              Search
            </Button>
          </div>
          <p id="input-search-help" className="sr-only">Conditions field=value separated by commas; dots reach nested fields; quote a value to match it as text only.</p>
          <p id="input-search-error" aria-live="polite" className="mt-1 text-xs text-red-700 dark:text-red-400">
            {fieldError("input")}
          </p>
        </form>
        <p className="ml-auto text-xs text-slate-500" aria-live="polite">
          {query.isFetching ? "Refreshing…" : ""}
        </p>
      </div>

      <SavedViews views={savedViews} current={filters} activeQuery={toQueryString({ ...filters, cursor: "" })} canDeleteShared={canDeleteShared} />
      <BulkByFilter filters={filters} workflowName={workflows.find((w) => w.key === filters.workflow)?.name} canPause={canPause} canResume={canResume} />
      {bulkOutcome && <BulkResults outcome={bulkOutcome} names={workflowNames} canResume={canResume} onResult={onBulkResult} onDismiss={() => setBulkOutcome(null)} />}
      <BulkBar selected={[...selected]} canPause={canPause} canResume={canResume} onResult={onBulkResult} onClear={() => setSelected(new Set())} />

      <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        {/* Phones: one card per instance, the table's own cells under their headings, so status and
            reason are read without scrolling sideways; the table takes over from md up. */}
        <ul aria-label="Workflow instances" className="divide-y divide-slate-100 md:hidden">
          {table.getRowModel().rows.map((row) => (
            <li key={row.id} className="p-3">
              <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1.5 text-sm">
                {row.getVisibleCells().map((cell) => (
                  <div key={cell.id} className="contents">
                    <dt className="pt-0.5 text-xs font-medium uppercase tracking-wide text-slate-500">{typeof cell.column.columnDef.header === "string" ? cell.column.columnDef.header : "Select"}</dt>
                    <dd className="min-w-0 break-words">{flexRender(cell.column.columnDef.cell, cell.getContext())}</dd>
                  </div>
                ))}
              </dl>
            </li>
          ))}
        </ul>
        <table className="hidden w-full text-left text-sm md:table">
          <caption className="sr-only">Workflow instances</caption>
          <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((h) => (
                  <th key={h.id} scope="col" className="px-3 py-2 font-medium">
                    {flexRender(h.column.columnDef.header, h.getContext())}
                  </th>
                ))}
              </tr>
            ))}
          </thead>
          <tbody className="divide-y divide-slate-100">
            {table.getRowModel().rows.map((row) => (
              <tr key={row.id} className="hover:bg-slate-50">
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id} className="px-3 py-2 align-top">
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {query.isPending && <p className="p-6 text-center text-sm text-slate-500">Loading instances…</p>}
        {query.isError && !fieldError("input") && (
          <p role="alert" className="p-6 text-center text-sm text-red-700">
            Could not load instances: {query.error.message}
          </p>
        )}
        {query.data && query.data.items.length === 0 && <p className="p-6 text-center text-sm text-slate-500">No instances match these filters.</p>}
      </div>

      <div className="flex items-center justify-end gap-2">
        <Button variant="secondary" size="sm" disabled={cursors.length === 0} onClick={() => { const prev = cursors.slice(0, -1); setCursors(prev); void setFilters({ cursor: prev.at(-1) ?? null }); }}>
          Previous
        </Button>
        <Button variant="secondary" size="sm" disabled={!query.data?.nextCursor} onClick={() => { const next = query.data!.nextCursor!; setCursors([...cursors, next]); void setFilters({ cursor: next }); }}>
          Next
        </Button>
      </div>
    </div>
  );
}
