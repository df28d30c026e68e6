import "server-only";
import { and, asc, eq, inArray, isNotNull, sql, type SQL } from "drizzle-orm";
import type { DbOrTx, Tx } from "@/db/client";
import { instances, maintenanceWindows, type Instance, type MaintenanceWindow, type WindowFilter } from "@/db/schema";
import { anyText } from "@/db/sql-arrays";
import { WINDOW_PREFIX, windowActor } from "@/lib/actors";
import { REASON_MAX } from "@/lib/instances/limits";
import { listFilterWhere } from "@/lib/instances/list-filter-where";
import { applyPause } from "@/lib/instances/pause-instance";
import { allows, statusesAllowing } from "@/lib/state-machine";
import { clipText } from "@/lib/text";
import { windowFilterSchema } from "./inputs";

/*
 * A maintenance window over a filter of instances (`instance_filter`): instead of pausing its
 * workflows, it holds the running and waiting instances of those workflows that match the
 * filter, and any new start that matches, while the workflows and every other instance run on.
 * This module is the one home of what "a window holds an instance" means: which instances match
 * (the instance list's own WHERE, `listFilterWhere`), the pause a window places (reason, kind,
 * the occurrence in the history row), and the hold of a matching start in its start transaction.
 * The worker's per-tick sweep (run-windows.ts step 3) and the instance lifecycle
 * (lib/instances/lifecycle/begin.ts) both call it.
 */

/** The history details key naming the occurrence a window paused an instance in (its `activeSince`, ISO). */
export const OCCURRENCE_KEY = "windowOccurrence";

/** The reason written on every pause a window places: its title and its reason, cut to fit. */
export const windowPauseReason = (w: Pick<MaintenanceWindow, "title" | "reason">) => clipText(`Maintenance window "${w.title}": ${w.reason}`, REASON_MAX);

/**
 * A window's stored filter, parsed again by the boundary's schema (`windowFilterSchema`): null for
 * a window over whole workflows; `{ invalid: true }` for one the boundary would refuse today
 * (it then matches nothing, as a stale saved view does).
 */
export function storedWindowFilter(raw: unknown): WindowFilter | null | { invalid: true } {
  if (raw === null || raw === undefined) return null;
  const parsed = windowFilterSchema.safeParse(raw);
  return parsed.success ? parsed.data : { invalid: true };
}

/**
 * The instances a window covers, as SQL over `instances`: those of its workflows, and, for a
 * window with a filter, those the filter matches (the list's WHERE with status `all`). Status is
 * left to the caller (the sweep asks for running and waiting; the count of holds for paused).
 */
export function windowCoversWhere(w: Pick<MaintenanceWindow, "workflowKeys" | "instanceFilter">): SQL | undefined {
  const filter = storedWindowFilter(w.instanceFilter);
  const matches = filter === null ? undefined : "invalid" in filter ? sql`false` : and(...listFilterWhere({ status: "all", workflow: undefined, q: filter.q, input: filter.input }));
  return and(anyText(instances.workflowKey, w.workflowKeys), matches);
}

/**
 * Does the instance still match `w` right now? Asked by the caller that holds the instance row
 * FOR UPDATE, so the answer is the row as it is and cannot change before the caller commits: an
 * instance whose input or workflow stopped matching since it was chosen is left alone.
 */
export async function matchesUnderLock(tx: Tx, instanceId: string, w: Pick<MaintenanceWindow, "workflowKeys" | "instanceFilter">): Promise<boolean> {
  const [hit] = await tx.select({ id: instances.id }).from(instances).where(and(eq(instances.id, instanceId), windowCoversWhere(w)));
  return hit !== undefined;
}

/**
 * Pauses `instance` gracefully on behalf of `w`'s active occurrence, as `window:<id>`, kind
 * `scheduled`, with the window's category, the occurrence (`windowOccurrence`) and its end
 * (`windowEndsAt`) in the history row; `extra` adds to those details. The caller holds the
 * instance row FOR UPDATE and the window (FOR SHARE or UPDATE), and has checked that the
 * occurrence is active and that the state machine allows the pause.
 */
export async function pauseForWindow(tx: Tx, w: MaintenanceWindow, instance: Instance, extra: Record<string, unknown> = {}): Promise<Instance> {
  return applyPause(tx, instance, { reason: windowPauseReason(w), mode: "graceful", category: w.category }, windowActor(w.id), "scheduled", {
    [OCCURRENCE_KEY]: w.activeSince!.toISOString(),
    windowEndsAt: w.nextEndAt.toISOString(),
    ...extra,
  });
}

/**
 * Holds a just-started instance, in its start transaction, when an active window with a filter
 * covers it: paused before any step of it can be claimed (the row is not visible to workers until
 * this commits, and then it is paused), with the window as actor and `heldAtStart: true`. The
 * windows are read FOR SHARE, so one ending or being cancelled meanwhile either commits first
 * (and is then no longer active here) or waits for this start; a window that becomes active
 * after this read catches the instance on the worker's next sweep. Windows over whole workflows
 * are not asked: their workflow pause already refused or queued the start. An instance that is
 * not running or waiting (a root checkpoint paused it already) is left as it is. Returns the row.
 */
export async function holdIfAWindowCovers(tx: Tx, instance: Instance): Promise<Instance> {
  if (!allows(instance.status, "pause")) return instance;
  const windows = await tx
    .select()
    .from(maintenanceWindows)
    .where(and(eq(maintenanceWindows.state, "active"), isNotNull(maintenanceWindows.instanceFilter), sql`${instance.workflowKey} = any(${maintenanceWindows.workflowKeys})`))
    .orderBy(asc(maintenanceWindows.activeSince), asc(maintenanceWindows.id))
    .for("share");
  for (const w of windows) {
    if (w.activeSince && (await matchesUnderLock(tx, instance.id, w))) return pauseForWindow(tx, w, instance, { heldAtStart: true });
  }
  return instance;
}

/** How many instances each window holds now (paused by it, draining or not), by window id. */
export async function heldCounts(db: DbOrTx, windowIds: string[]): Promise<Map<string, number>> {
  if (!windowIds.length) return new Map();
  const labels = windowIds.map((id) => `${WINDOW_PREFIX}${id}`);
  const rows = await db
    .select({ label: instances.pausedByLabel, n: sql<number>`count(*)::int` })
    .from(instances)
    .where(and(eq(instances.status, "paused"), anyText(instances.pausedByLabel, labels)))
    .groupBy(instances.pausedByLabel);
  return new Map(rows.map((r) => [r.label!.slice(WINDOW_PREFIX.length), r.n]));
}

/** The most `countCovered` counts exactly; past it the page says "10,000+", as the list does. */
export const COVERED_COUNT_CAP = 10_000;

/**
 * How many running or waiting instances a window (or a form's draft of one) covers now: what it
 * would pause if it started this moment. Counts at most COVERED_COUNT_CAP + 1 rows, so the cost
 * stays bounded however many match.
 */
export async function countCovered(db: DbOrTx, w: Pick<MaintenanceWindow, "workflowKeys" | "instanceFilter">): Promise<number> {
  const matching = db
    .select({ one: sql`1` })
    .from(instances)
    .where(and(windowCoversWhere(w), inArray(instances.status, statusesAllowing("pause"))))
    .limit(COVERED_COUNT_CAP + 1)
    .as("matching");
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(matching);
  return row?.n ?? 0;
}
