import "server-only";
import { and, asc, eq, inArray, isNotNull, lte, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { history, instances, maintenanceWindows, type Actor, type MaintenanceWindow, type WindowLogAction } from "@/db/schema";
import { WINDOW_PREFIX, windowActor } from "@/lib/actors";
import { databaseNow } from "@/lib/db-now";
import { AppError } from "@/lib/errors";
import { BULK_RESUME_RATE } from "@/lib/instances/bulk-limits";
import { lockInstance } from "@/lib/instances/lock";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { allows, statusesAllowing } from "@/lib/state-machine";
import { lockVersions, pauseWorkflowIn, resumeWorkflowIn } from "@/lib/workflows/workflow-pauses";
import { nextOccurrence } from "./occurrences";
import { logWindow } from "./window-rows";
import { matchesUnderLock, OCCURRENCE_KEY, pauseForWindow, windowCoversWhere, windowPauseReason } from "./window-filter";

export { OCCURRENCE_KEY } from "./window-filter";

/*
 * What the worker does with maintenance windows on every tick (engine/chores.ts), each step
 * deciding from a read and acting under locks only if what it decided on still holds:
 * 1. end the active windows whose end has come (their workflow pauses lifted, queued starts begun);
 * 2. start the scheduled windows whose start has come (their workflows paused, unless the window
 *    has an instance filter), or skip an occurrence whose end has passed too (the worker was
 *    down): it is never started late;
 * 3. pause, gracefully, the running and waiting instances of active windows' workflows (for a
 *    window with an instance filter, only those that match it, re-checked under each instance's
 *    lock) that this occurrence has not paused yet: a worker that died half-way finishes the
 *    job, and an instance that came to match during the occurrence (resumed, or its workflow's
 *    input changed hands) is caught; a new start that matches is held in its own start
 *    transaction already (window-filter.ts `holdIfAWindowCovers`);
 * 4. resume, paced, the instances a window paused once that window is no longer active, unless
 *    someone else holds them now (the pause has another author or began later).
 * Every start and end names the window as its actor (`window:<id>`) in history, the workflow
 * pause log and the events; the window's own log says who ended it early or cancelled it.
 */

/** The occurrence after `w`'s current one, or null for a one-off window or a cron that never fires again. */
function following(w: MaintenanceWindow, now: Date) {
  if (!w.cron || !w.timezone || !w.durationMinutes) return null;
  return nextOccurrence({ cron: w.cron, timezone: w.timezone, durationMinutes: w.durationMinutes }, w.nextStartAt, now);
}

/** Moves `w` past its current occurrence: to the next one (scheduled), or done. Bumps its version. */
async function advance(tx: Tx, w: MaintenanceWindow, now: Date): Promise<MaintenanceWindow> {
  const next = following(w, now);
  const [row] = await tx
    .update(maintenanceWindows)
    .set({ state: next ? "scheduled" : "done", activeSince: null, ...(next ? { nextStartAt: next.startsAt, nextEndAt: next.endsAt } : {}), version: w.version + 1, updatedAt: now })
    .where(eq(maintenanceWindows.id, w.id))
    .returning();
  return row!;
}

/**
 * Ends `w`'s active occurrence, for a caller holding the window FOR UPDATE: lifts each of its
 * workflows' pauses that the window itself placed (never one an operator placed before or
 * meanwhile), which starts the starts queued meanwhile; moves the window on to its next
 * occurrence (or done); logs `action` by `actor` with `reason`. The instances it paused are
 * resumed afterwards, paced, by resumeAfterWindows.
 */
export async function endOccurrence(tx: Tx, w: MaintenanceWindow, actor: Actor, reason: string | null, action: Extract<WindowLogAction, "ended" | "ended_early">): Promise<MaintenanceWindow> {
  const by = windowActor(w.id);
  const released: string[] = [];
  let started = 0;
  let dropped = 0;
  // A window with an instance filter never paused its workflows, so there is nothing to lift (and
  // no workflow lock to take: a start holding its workflow's versions may be waiting on this window).
  for (const key of w.instanceFilter ? [] : [...w.workflowKeys].sort()) {
    await lockVersions(tx, key);
    const lifted = await resumeWorkflowIn(tx, key, action === "ended" ? `Maintenance window "${w.title}" ended` : `Maintenance window "${w.title}" ended early${reason ? `: ${reason}` : ""}`, by, by.label);
    if (!lifted) continue;
    released.push(key);
    started += lifted.started;
    dropped += lifted.dropped;
  }
  const now = await databaseNow(tx);
  const occurrence = { startsAt: w.nextStartAt.toISOString(), endsAt: w.nextEndAt.toISOString(), activeSince: w.activeSince?.toISOString() ?? null };
  const row = await advance(tx, w, now);
  await logWindow(tx, w.id, action, actor, reason, { occurrence, resumedWorkflows: released, queuedStarted: started, queuedDropped: dropped, next: row.state === "scheduled" ? { startsAt: row.nextStartAt, endsAt: row.nextEndAt } : null });
  return row;
}

/** Step 1: active windows whose end has come, each ended in its own transaction. Returns how many ended. */
export async function endDueWindows(db: Db, limit = 20): Promise<number> {
  const due = await db
    .select({ id: maintenanceWindows.id, nextEndAt: maintenanceWindows.nextEndAt })
    .from(maintenanceWindows)
    .where(and(eq(maintenanceWindows.state, "active"), lte(maintenanceWindows.nextEndAt, sql`now()`)))
    .orderBy(asc(maintenanceWindows.nextEndAt))
    .limit(limit);
  let ended = 0;
  for (const decided of due) {
    await db.transaction(async (tx) => {
      const [w] = await tx.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, decided.id)).for("update");
      // Ended early, cancelled or edited meanwhile: not the occurrence this decided on.
      if (!w || w.state !== "active" || w.nextEndAt.getTime() !== decided.nextEndAt.getTime() || w.nextEndAt > (await databaseNow(tx))) return;
      await endOccurrence(tx, w, windowActor(w.id), null, "ended");
      ended++;
    });
  }
  return ended;
}

/**
 * Step 2: scheduled windows whose start has come. Under the window's lock, re-checked: still
 * scheduled, the same occurrence, its start come. An occurrence whose end has passed as well
 * (the worker was down through it) is skipped, logged `skipped`, never started late. Otherwise
 * each workflow is paused by the window (one an operator had already paused stays theirs, and
 * the window will not lift it) and the window becomes active. Returns how many started.
 */
export async function startDueWindows(db: Db, limit = 20): Promise<number> {
  const due = await db
    .select({ id: maintenanceWindows.id, nextStartAt: maintenanceWindows.nextStartAt })
    .from(maintenanceWindows)
    .where(and(eq(maintenanceWindows.state, "scheduled"), lte(maintenanceWindows.nextStartAt, sql`now()`)))
    .orderBy(asc(maintenanceWindows.nextStartAt))
    .limit(limit);
  let started = 0;
  for (const decided of due) {
    await db.transaction(async (tx) => {
      const [w] = await tx.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, decided.id)).for("update");
      const now = await databaseNow(tx);
      if (!w || w.state !== "scheduled" || w.nextStartAt.getTime() !== decided.nextStartAt.getTime() || w.nextStartAt > now) return;
      const by = windowActor(w.id);
      if (w.nextEndAt <= now) {
        const row = await advance(tx, w, now);
        await logWindow(tx, w.id, "skipped", by, "Its end had passed before the worker could start it", {
          occurrence: { startsAt: w.nextStartAt.toISOString(), endsAt: w.nextEndAt.toISOString() },
          next: row.state === "scheduled" ? { startsAt: row.nextStartAt, endsAt: row.nextEndAt } : null,
        });
        return;
      }
      const paused: string[] = [];
      const alreadyPaused: string[] = [];
      // A window with an instance filter holds matching instances only: its workflows run on.
      for (const key of w.instanceFilter ? [] : [...w.workflowKeys].sort()) {
        await lockVersions(tx, key);
        if (await pauseWorkflowIn(tx, key, windowPauseReason(w), by)) paused.push(key);
        else alreadyPaused.push(key);
      }
      await tx.update(maintenanceWindows).set({ state: "active", activeSince: now, version: w.version + 1, updatedAt: now }).where(eq(maintenanceWindows.id, w.id));
      await logWindow(tx, w.id, "started", by, w.reason, {
        occurrence: { startsAt: w.nextStartAt.toISOString(), endsAt: w.nextEndAt.toISOString() },
        pausedWorkflows: paused,
        alreadyPaused,
        ...(w.instanceFilter ? { instanceFilter: w.instanceFilter } : {}),
      });
      started++;
    });
  }
  return started;
}

/** Instances of one active window's occurrence not yet paused by it: the candidates of step 3. */
type Candidate = { windowId: string; activeSince: Date; instanceId: string };

/**
 * Step 3's candidates for the active windows with an instance filter, one query per window (there
 * are few active at once): running and waiting instances of its workflows that its filter matches
 * (the list's WHERE, served by the input GIN index or the primary key) and that this occurrence
 * has not paused yet.
 */
async function filteredCandidates(db: Db, limit: number): Promise<Candidate[]> {
  const windows = await db.select().from(maintenanceWindows).where(and(eq(maintenanceWindows.state, "active"), isNotNull(maintenanceWindows.instanceFilter))).orderBy(asc(maintenanceWindows.activeSince));
  const out: Candidate[] = [];
  for (const w of windows) {
    if (!w.activeSince || out.length >= limit) continue;
    const rows = await db
      .select({ id: instances.id })
      .from(instances)
      .where(
        and(
          windowCoversWhere(w),
          inArray(instances.status, statusesAllowing("pause")),
          sql`not exists (select 1 from ${history} h where h.instance_id = ${instances.id} and h.actor_label = ${windowActor(w.id).label} and h.details ->> ${OCCURRENCE_KEY} = ${w.activeSince.toISOString()})`,
        ),
      )
      .orderBy(asc(instances.createdAt))
      .limit(limit - out.length);
    for (const r of rows) out.push({ windowId: w.id, activeSince: w.activeSince, instanceId: r.id });
  }
  return out;
}

/**
 * Step 3: running and waiting instances of active windows' workflows (for a window with an
 * instance filter, those its filter matches) that the window's current occurrence has not paused
 * yet (no history row of it naming this occurrence), each paused gracefully in its own
 * transaction by `window:<id>`, kind `scheduled`. Under the window's lock (FOR SHARE) it
 * re-checks that the occurrence is still the active one; under the instance's, that it may still
 * be paused and, for a filtered window, still matches (an instance whose input no longer matches
 * is left alone). An instance someone resumed during the window has its row, so it is not paused
 * again. Returns how many it paused.
 */
export async function pauseForActiveWindows(db: Db, limit = 100): Promise<number> {
  const whole = await db.execute<{ window_id: string; active_since: string; instance_id: string }>(sql`
    select w.id as window_id, w.active_since, i.id as instance_id
    from maintenance_windows w
    join instances i on i.workflow_key = any(w.workflow_keys) and i.status in ('running', 'waiting')
    where w.state = 'active' and w.instance_filter is null
      and not exists (
        select 1 from history h
        where h.instance_id = i.id and h.actor_label = ${WINDOW_PREFIX} || w.id::text
          and h.details ->> ${OCCURRENCE_KEY} = to_char(w.active_since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    order by w.active_since, i.created_at
    limit ${limit}`);
  const candidates: Candidate[] = [...whole.map((r) => ({ windowId: r.window_id, activeSince: new Date(r.active_since), instanceId: r.instance_id })), ...(await filteredCandidates(db, limit))];
  let paused = 0;
  for (const c of candidates) {
    await db.transaction(async (tx) => {
      const [w] = await tx.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, c.windowId)).for("share");
      if (!w || w.state !== "active" || !w.activeSince || w.activeSince.getTime() !== c.activeSince.getTime()) return;
      const instance = await lockInstance(tx, c.instanceId);
      if (!allows(instance.status, "pause")) return;
      if (w.instanceFilter && !(await matchesUnderLock(tx, instance.id, w))) return;
      await pauseForWindow(tx, w, instance);
      paused++;
    });
  }
  return paused;
}

/**
 * Step 4: instances a window paused whose window is no longer active (ended, cancelled) or has
 * moved on to a later occurrence, resumed one at a time at no more than `ratePerSecond` (as a bulk
 * resume is paced), by `window:<id>`. Each re-checks under the instance lock that the pause is still
 * the window's own (same author, same start): an instance someone resumed and paused again, or
 * whose step asked to pause, stays paused. `skip` and `onRefused` are for resume conditions that
 * refuse (the worker retries those later, not every tick). Returns how many it resumed.
 */
export async function resumeAfterWindows(db: Db, options: { skip?: (id: string) => boolean; onRefused?: (id: string, message: string) => void; ratePerSecond?: number; limit?: number } = {}): Promise<number> {
  const { skip = () => false, onRefused = () => {}, ratePerSecond = BULK_RESUME_RATE, limit = 20 } = options;
  const rows = await db.execute<{ id: string; paused_at: string; paused_by_label: string; window_id: string; title: string; state: string }>(sql`
    select i.id, i.paused_at, i.paused_by_label, w.id as window_id, w.title, w.state
    from instances i
    join maintenance_windows w on i.paused_by_label = ${WINDOW_PREFIX} || w.id::text
    where i.status = 'paused' and (w.state <> 'active' or w.active_since > i.paused_at)
    order by i.paused_at, i.id
    limit ${limit}`);
  let resumed = 0;
  let next = performance.now();
  for (const row of rows) {
    if (skip(row.id)) continue;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    next = performance.now() + 1000 / ratePerSecond;
    try {
      const reason = row.state === "cancelled" ? `Maintenance window "${row.title}" was cancelled` : `Maintenance window "${row.title}" ended`;
      const done = await resumeInstance(db, { instanceId: row.id, reason }, windowActor(row.window_id), { heldBy: { pausedAt: new Date(row.paused_at), pausedByLabel: row.paused_by_label } });
      if (done) resumed++;
    } catch (error) {
      if (error instanceof AppError) onRefused(row.id, error.message);
      else throw error;
    }
  }
  return resumed;
}

/** One tick's window chores, in order (see the top of this file). */
export async function runWindows(db: Db, options: Parameters<typeof resumeAfterWindows>[1] = {}) {
  const ended = await endDueWindows(db);
  const started = await startDueWindows(db);
  const paused = await pauseForActiveWindows(db);
  const resumed = await resumeAfterWindows(db, options);
  return { ended, started, paused, resumed };
}
