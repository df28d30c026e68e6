import "server-only";
import { asc, desc, eq, inArray, or } from "drizzle-orm";
import type { Db, DbOrTx, Tx } from "@/db/client";
import { maintenanceWindowLog, maintenanceWindows, workflowDefinitions, type Actor, type MaintenanceWindow } from "@/db/schema";
import { isUuid } from "@/lib/domain";
import { databaseNow } from "@/lib/db-now";
import { conflict, invalid, notFound } from "@/lib/errors";
import { parseInput, type Untrusted } from "@/lib/validate";
import { cancelWindowSchema, createWindowSchema, editWindowSchema, endWindowSchema, listWindowsQuery, previewWindowSchema } from "./inputs";
import { nextOccurrence } from "./occurrences";
import { endOccurrence } from "./run-windows";
import { countCovered, heldCounts } from "./window-filter";
import { lockWindow, logWindow } from "./window-rows";

/*
 * Maintenance windows: a planned pause of one or more workflows between two times, once or
 * recurring. People create, edit, end early and cancel them here; the worker starts and ends
 * them (run-windows.ts). Every change and every start, end and skip is a row of the window's
 * append-only log, written in the transaction that makes it.
 */

type Timing = { startsAt?: Date; endsAt?: Date; cron?: string; timezone?: string; durationMinutes?: number };

/** The stored timing of a window from its checked input: its first occurrence (at `now`) and its recurrence, if any. */
function timingOf(input: Timing, now: Date) {
  if (input.cron !== undefined && input.durationMinutes !== undefined) {
    const recurrence = { cron: input.cron, timezone: input.timezone ?? "UTC", durationMinutes: input.durationMinutes };
    const first = nextOccurrence(recurrence, new Date(now.getTime() - input.durationMinutes * 60_000), now);
    if (!first) throw invalid("This schedule never fires again", { cron: ["This schedule never fires again"] });
    return { ...recurrence, nextStartAt: first.startsAt, nextEndAt: first.endsAt };
  }
  return { cron: null, timezone: null, durationMinutes: null, nextStartAt: input.startsAt!, nextEndAt: input.endsAt! };
}

/** Refuses (`invalid`, on workflowKeys) a window naming a workflow that is not registered. */
async function checkWorkflows(tx: Tx, keys: string[]): Promise<string[]> {
  const unique = [...new Set(keys)].sort();
  const known = new Set((await tx.selectDistinct({ key: workflowDefinitions.key }).from(workflowDefinitions).where(inArray(workflowDefinitions.key, unique))).map((r) => r.key));
  const unknown = unique.filter((k) => !known.has(k));
  if (unknown.length) throw invalid(`No such workflow: ${unknown.join(", ")}`, { workflowKeys: [`No such workflow: ${unknown.join(", ")}`] });
  return unique;
}

/**
 * Schedules a window: once (`startsAt`..`endsAt`) or recurring (`cron` in `timezone`, default UTC,
 * each occurrence `durationMinutes` long); its first occurrence may be under way already, and
 * then the worker starts it on its next tick. With `instanceFilter` (`{ input?, q? }`, the list's
 * filter) it holds only the matching instances of its workflows, never the workflows
 * (window-filter.ts). Logged as `created`. Errors: `invalid` (fields named: timing, an unknown
 * workflow, a blank reason, a bad filter under `instanceFilter.input` / `instanceFilter.q`).
 */
export async function createWindow(db: Db, raw: Untrusted, actor: Actor): Promise<MaintenanceWindow> {
  const input = parseInput(createWindowSchema, raw);
  return db.transaction(async (tx) => {
    const workflowKeys = await checkWorkflows(tx, input.workflowKeys);
    const timing = timingOf(input, await databaseNow(tx));
    const [row] = await tx
      .insert(maintenanceWindows)
      .values({ title: input.title, workflowKeys, instanceFilter: input.instanceFilter ?? null, reason: input.reason, category: input.category ?? "maintenance", ...timing, createdById: actor.id, createdByLabel: actor.label })
      .returning();
    await logWindow(tx, row!.id, "created", actor, input.reason, { workflowKeys, instanceFilter: row!.instanceFilter, nextStartAt: row!.nextStartAt, nextEndAt: row!.nextEndAt, cron: row!.cron, timezone: row!.timezone });
    return row!;
  });
}

/**
 * Restates a scheduled window (title, workflows, instance filter (absent: none), reason, category, timing). An active window is
 * refused (end it early, or cancel it, instead): its workflows are already paused by it.
 * Logged as `edited` with what it was. Errors: `invalid`, `not_found`, `conflict` (not scheduled, stale version).
 */
export async function editWindow(db: Db, raw: Untrusted, actor: Actor): Promise<MaintenanceWindow> {
  const input = parseInput(editWindowSchema, raw);
  return db.transaction(async (tx) => {
    const current = await lockWindow(tx, input.windowId, input.expectedVersion);
    if (current.state !== "scheduled") throw conflict(current.state === "active" ? "The window is active: end it early or cancel it instead of editing it" : `The window is ${current.state}`);
    const workflowKeys = await checkWorkflows(tx, input.workflowKeys);
    const timing = timingOf(input, await databaseNow(tx));
    const [row] = await tx
      .update(maintenanceWindows)
      .set({ title: input.title, workflowKeys, instanceFilter: input.instanceFilter ?? null, reason: input.reason, category: input.category ?? "maintenance", ...timing, version: current.version + 1, updatedAt: new Date() })
      .where(eq(maintenanceWindows.id, current.id))
      .returning();
    const was = { title: current.title, workflowKeys: current.workflowKeys, instanceFilter: current.instanceFilter, reason: current.reason, nextStartAt: current.nextStartAt, nextEndAt: current.nextEndAt, cron: current.cron, timezone: current.timezone, durationMinutes: current.durationMinutes };
    await logWindow(tx, current.id, "edited", actor, input.reason, { was });
    return row!;
  });
}

/**
 * Ends an active window's occurrence now, as if its end had come (its workflow pauses lifted, its
 * instances then resumed by the worker, paced), logged as `ended_early` by the person with their
 * reason. A recurring window stays scheduled for its next occurrence.
 * Errors: `invalid`, `not_found`, `conflict` (not active).
 */
export async function endWindowEarly(db: Db, raw: Untrusted, actor: Actor): Promise<MaintenanceWindow> {
  const input = parseInput(endWindowSchema, raw);
  return db.transaction(async (tx) => {
    const current = await lockWindow(tx, input.windowId);
    if (current.state !== "active") throw conflict(`The window is ${current.state}, not active`);
    return endOccurrence(tx, current, actor, input.reason, "ended_early");
  });
}

/**
 * Calls a window off for good: a scheduled one never starts; an active one ends now (as
 * endWindowEarly) and never starts again. Logged as `cancelled`.
 * Errors: `invalid`, `not_found`, `conflict` (already done or cancelled).
 */
export async function cancelWindow(db: Db, raw: Untrusted, actor: Actor): Promise<MaintenanceWindow> {
  const input = parseInput(cancelWindowSchema, raw);
  return db.transaction(async (tx) => {
    let current = await lockWindow(tx, input.windowId);
    if (current.state === "done" || current.state === "cancelled") throw conflict(`The window is already ${current.state === "done" ? "over" : "cancelled"}`);
    if (current.state === "active") current = await endOccurrence(tx, current, actor, input.reason, "ended_early");
    const now = new Date();
    const [row] = await tx
      .update(maintenanceWindows)
      .set({ state: "cancelled", cancelledAt: now, cancelledByLabel: actor.label, cancelReason: input.reason, version: current.version + 1, updatedAt: now })
      .where(eq(maintenanceWindows.id, current.id))
      .returning();
    await logWindow(tx, current.id, "cancelled", actor, input.reason);
    return row!;
  });
}

/** Windows for the page and API: scheduled and active ones by next start (`upcoming`), or all, newest first. */
export async function listWindows(db: DbOrTx, raw: Untrusted = {}): Promise<MaintenanceWindow[]> {
  const query = parseInput(listWindowsQuery, raw);
  if (query.include === "upcoming") {
    return db
      .select()
      .from(maintenanceWindows)
      .where(or(eq(maintenanceWindows.state, "scheduled"), eq(maintenanceWindows.state, "active")))
      .orderBy(desc(eq(maintenanceWindows.state, "active")), asc(maintenanceWindows.nextStartAt))
      .limit(200);
  }
  return db.select().from(maintenanceWindows).orderBy(desc(maintenanceWindows.createdAt)).limit(200);
}

/** One window with its log, oldest first, and how many instances it holds paused now (`held`). Errors: not_found. */
export async function windowWithLog(db: DbOrTx, windowId: string) {
  if (!isUuid(windowId)) throw notFound("Maintenance window");
  const [window] = await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, windowId));
  if (!window) throw notFound("Maintenance window");
  const log = await db.select().from(maintenanceWindowLog).where(eq(maintenanceWindowLog.windowId, windowId)).orderBy(asc(maintenanceWindowLog.id));
  const held = (await heldCounts(db, [windowId])).get(windowId) ?? 0;
  return { ...window, log, held };
}

/**
 * How many running or waiting instances a draft window (`workflowKeys`, optional `instanceFilter`)
 * covers now, counted up to COVERED_COUNT_CAP + 1 (window-filter.ts). Errors: `invalid` (fields
 * named as on creation: an unknown workflow is simply not counted).
 */
export async function previewWindow(db: DbOrTx, raw: Untrusted): Promise<number> {
  const input = parseInput(previewWindowSchema, raw);
  return countCovered(db, { workflowKeys: input.workflowKeys, instanceFilter: input.instanceFilter ?? null });
}
