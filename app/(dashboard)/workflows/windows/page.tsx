import type { Metadata } from "next";
import Link from "next/link";
import { CalendarClock, PauseCircle } from "lucide-react";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import type { MaintenanceWindow } from "@/lib/rows";
import { listWindows } from "@/lib/maintenance/windows";
import { describeWindowFilter } from "@/lib/maintenance/describe";
import { upcomingStarts } from "@/lib/maintenance/occurrences";
import { COVERED_COUNT_CAP, countCovered, heldCounts, storedWindowFilter } from "@/lib/maintenance/window-filter";
import { utc } from "@/lib/time";
import { listDefinitions } from "@/lib/workflows/queries";
import { WindowControls } from "./window-controls";
import { WindowForm, type WindowFormValues } from "./window-form";

export const metadata: Metadata = { title: "Maintenance windows" };

/** "2027-01-31T09:00", the value a datetime-local field shows, in UTC (the form says so). */
const localUtc = (d: Date) => d.toISOString().slice(0, 16);

const blank: WindowFormValues = { title: "", workflowKeys: [], filterInput: "", filterQ: "", reason: "", category: "maintenance", kind: "once", startsAt: "", endsAt: "", cron: "", timezone: "UTC", durationMinutes: "" };

/** A window's filter as read back, parsed again (one the boundary would refuse today reads as none, and matches nothing). */
function filterOf(w: MaintenanceWindow) {
  const f = storedWindowFilter(w.instanceFilter);
  return f && !("invalid" in f) ? f : null;
}

function valuesOf(w: MaintenanceWindow): WindowFormValues {
  const filter = filterOf(w);
  return {
    windowId: w.id,
    expectedVersion: w.version,
    title: w.title,
    workflowKeys: w.workflowKeys,
    filterInput: filter?.input ?? "",
    filterQ: filter?.q ?? "",
    reason: w.reason,
    category: w.category,
    kind: w.cron ? "recurring" : "once",
    startsAt: w.cron ? "" : localUtc(w.nextStartAt),
    endsAt: w.cron ? "" : localUtc(w.nextEndAt),
    cron: w.cron ?? "",
    timezone: w.timezone ?? "UTC",
    durationMinutes: w.durationMinutes ? String(w.durationMinutes) : "",
  };
}

/** Upcoming and active maintenance windows, like a calendar's agenda view, with the form to schedule one. */
export default async function WindowsPage({ searchParams }: { searchParams: Promise<{ edit?: string }> }) {
  const user = await requirePage("instances:read");
  const db = getDb();
  const [windows, definitions, { edit }] = await Promise.all([listWindows(db), listDefinitions(db), searchParams]);
  const mayManage = can(user, "windows:manage");
  const workflows = [...new Map(definitions.map((d) => [d.key, { key: d.key, name: d.name }])).values()];
  const names = new Map(workflows.map((w) => [w.key, w.name]));
  const editing = windows.find((w) => w.id === edit && w.state === "scheduled");
  const active = windows.filter((w) => w.state === "active");
  const upcoming = windows.filter((w) => w.state === "scheduled");
  // How many instances each active window holds now (one query), and, for a scheduled window over
  // a filter, how many it would pause if it started now (one bounded count each; there are few).
  const held = await heldCounts(db, active.map((w) => w.id));
  const matching = new Map(await Promise.all(upcoming.filter((w) => w.instanceFilter).map(async (w) => [w.id, await countCovered(db, w)] as const)));
  const count = (n: number) => (n > COVERED_COUNT_CAP ? `${COVERED_COUNT_CAP.toLocaleString("en")}+ instances` : n === 1 ? "1 instance" : `${n.toLocaleString("en")} instances`);

  const card = (w: MaintenanceWindow) => (
    <li key={w.id} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <article aria-labelledby={`window-${w.id}`} className="space-y-2">
        <header className="flex flex-wrap items-baseline gap-2">
          {w.state === "active" ? (
            <span className="inline-flex items-center gap-1 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-amber-300">
              <PauseCircle aria-hidden className="size-3.5" /> Active
            </span>
          ) : (
            <span className="inline-flex items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700 ring-1 ring-slate-300">
              <CalendarClock aria-hidden className="size-3.5" /> Scheduled
            </span>
          )}
          <h3 id={`window-${w.id}`} className="font-semibold break-words">
            {w.title}
          </h3>
          <span className="text-xs text-slate-500">{w.category}</span>
        </header>
        <p className="text-sm">
          {w.state === "active" ? "Ends" : "Starts"} <RelativeTime value={w.state === "active" ? w.nextEndAt : w.nextStartAt} />{" "}
          <span className="text-slate-600">
            ({utc(w.nextStartAt)} – {utc(w.nextEndAt)})
          </span>
        </p>
        {w.cron && (
          <p className="text-sm text-slate-700">
            Recurring: <code className="font-mono">{w.cron}</code> in {w.timezone}, {w.durationMinutes} min each; then{" "}
            {upcomingStarts({ cron: w.cron, timezone: w.timezone!, durationMinutes: w.durationMinutes! }, w.nextStartAt, 3)
              .map((d) => utc(d))
              .join(", ")}
          </p>
        )}
        <p className="text-sm break-words">
          {describeWindowFilter(filterOf(w)) ? (
            <>
              <span className="font-medium">Holds:</span> {w.workflowKeys.map((k) => names.get(k) ?? k).join(", ")} <span className="text-slate-600">where</span>{" "}
              <code className="font-mono">{describeWindowFilter(filterOf(w))}</code> <span className="text-slate-600">(the workflows keep running)</span>
            </>
          ) : (
            <>
              <span className="font-medium">Pauses:</span> {w.workflowKeys.map((k) => names.get(k) ?? k).join(", ")}
            </>
          )}
        </p>
        {w.state === "active" && (
          <p className="text-sm">
            <span className="font-medium">Holding now:</span> {count(held.get(w.id) ?? 0)}
          </p>
        )}
        {matching.has(w.id) && (
          <p className="text-sm">
            <span className="font-medium">Preview:</span> {count(matching.get(w.id)!)} match now
          </p>
        )}
        <p className="text-sm break-words text-slate-700">
          <span className="font-medium">Why:</span> {w.reason}
        </p>
        <p className="text-xs text-slate-500">
          Scheduled by {w.createdByLabel} <RelativeTime value={w.createdAt} /> · <code className="font-mono">window:{w.id}</code>
        </p>
        {mayManage && (
          <div className="flex flex-wrap items-center gap-2">
            {w.state === "scheduled" && (
              <Link href={`/workflows/windows?edit=${w.id}#window-form`} className="inline-flex h-9 items-center rounded-md border border-slate-300 bg-white px-3 text-sm text-slate-800 hover:bg-slate-50">
                Edit
              </Link>
            )}
            <WindowControls windowId={w.id} title={w.title} active={w.state === "active"} />
          </div>
        )}
      </article>
    </li>
  );

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Maintenance windows</h1>
        <p className="text-sm text-slate-600">
          Planned pauses: at the start the workflows are paused (new starts are refused or queued, by each workflow&apos;s policy) and their running instances pause gracefully; at the end
          they resume, paced. A window with an instance filter leaves the workflows running and holds only the instances that match, new starts included. Anything someone else paused
          meanwhile stays paused. <Link href="/workflows" className="text-indigo-700 underline">Workflows</Link>
        </p>
      </div>
      <section aria-labelledby="active-heading" className="space-y-2">
        <h2 id="active-heading" className="font-semibold">
          Active now
        </h2>
        {active.length ? <ul className="space-y-2">{active.map(card)}</ul> : <p className="text-sm text-slate-600">No window is active.</p>}
      </section>
      <section aria-labelledby="upcoming-heading" className="space-y-2">
        <h2 id="upcoming-heading" className="font-semibold">
          Upcoming
        </h2>
        {upcoming.length ? <ul className="space-y-2">{upcoming.map(card)}</ul> : <p className="text-sm text-slate-600">No window is scheduled.</p>}
      </section>
      {mayManage && (
        <section id="window-form" aria-labelledby="form-heading" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
          <h2 id="form-heading" className="mb-3 font-semibold">
            {editing ? `Edit ${editing.title}` : "Schedule a window"}
          </h2>
          <WindowForm key={editing?.id ?? "new"} workflows={workflows} initial={editing ? valuesOf(editing) : blank} />
        </section>
      )}
    </div>
  );
}
