import "server-only";
import { and, desc, eq, inArray, lte, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx, Tx } from "@/db/client";
import { workflowDefinitions, workflowHoldLog, workflowHolds, type Actor, type WorkflowHold } from "@/db/schema";
import { conflict, notFound } from "@/lib/errors";
import { enqueueWorkflowEvent } from "@/lib/events";
import { optionalReason, requiredReason } from "@/lib/instances/inputs";
import { startQueuedIn } from "./queued-starts";
import { requiredText } from "@/lib/text";
import { parseInput, type Untrusted } from "@/lib/validate";

const workflowKey = requiredText({ label: "Workflow", max: 200, required: "Name the workflow" });
export const pauseWorkflowInputSchema = z.object({ workflow: workflowKey, reason: requiredReason("Say why you are pausing the workflow") });
export const resumeWorkflowInputSchema = z.object({ workflow: workflowKey, reason: optionalReason });

/*
 * Pausing a whole workflow (all its versions): no new instance of it starts until it is resumed;
 * instances already running go on. The UI, the API (/api/v1/workflows/:key/pause|resume), the
 * permissions and the events (workflow.paused / workflow.resumed) all say pause and resume; the
 * tables keep their first names (workflow_holds, workflow_hold_log with actions held/released).
 * Not a step's `ctx.pauseWorkflow(reason)`, which pauses the step's own instance.
 */

/**
 * Locks every registered version of a workflow FOR UPDATE. A start takes its version FOR SHARE
 * (refuseIfWorkflowPaused), so a pause and a start serialise: a start either commits before the
 * pause, or waits for it and then sees it and refuses. No instance starts after a pause commits.
 */
export async function lockVersions(tx: Tx, key: string): Promise<void> {
  const versions = await tx.select({ id: workflowDefinitions.id }).from(workflowDefinitions).where(eq(workflowDefinitions.key, key)).for("update");
  if (!versions.length) throw notFound("Workflow");
}

/**
 * Pauses a workflow: no new instance of it starts until it is resumed. Running ones go on. The
 * pause row, its log row and the `workflow.paused` event commit in one transaction.
 * Errors: `invalid` (no workflow or reason), `not_found` (no such workflow), `conflict` (already paused).
 */
export async function pauseWorkflow(db: Db, raw: Untrusted, actor: Actor): Promise<WorkflowHold> {
  const input = parseInput(pauseWorkflowInputSchema, raw);
  return db.transaction(async (tx) => {
    await lockVersions(tx, input.workflow);
    const pause = await pauseWorkflowIn(tx, input.workflow, input.reason, actor);
    if (!pause) {
      const current = await workflowPauseOf(tx, input.workflow);
      throw conflict(`${input.workflow} is already paused${current ? ` by ${current.heldByLabel}: ${current.reason}` : ""}`);
    }
    return pause;
  });
}

/**
 * The pause itself, for a caller that holds the workflow's versions FOR UPDATE (lockVersions):
 * the pause row, its log row and the `workflow.paused` event. Returns null, writing nothing,
 * when the workflow is already paused (by anyone).
 */
export async function pauseWorkflowIn(tx: Tx, workflowKey: string, reason: string, actor: Actor): Promise<WorkflowHold | null> {
  const [pause] = await tx.insert(workflowHolds).values({ workflowKey, reason, heldById: actor.id, heldByLabel: actor.label }).onConflictDoNothing().returning();
  if (!pause) return null;
  await tx.insert(workflowHoldLog).values({ workflowKey, action: "held", reason, actorId: actor.id, actorLabel: actor.label });
  await enqueueWorkflowEvent(tx, "workflow.paused", { workflowKey, reason, actor });
  return pause;
}

/**
 * Ends a workflow's pause, for a caller that holds its versions FOR UPDATE: deletes the pause
 * (only one by `onlyIfPausedBy`, when given: a maintenance window lifts its own pause and never
 * an operator's), writes the log row and the `workflow.resumed` event, then starts the starts
 * queued meanwhile, in order (queued-starts.ts). Returns null, writing nothing, when there was no
 * such pause; else how many queued starts began and how many were dropped as expired.
 */
export async function resumeWorkflowIn(tx: Tx, workflowKey: string, reason: string | null, actor: Actor, onlyIfPausedBy?: string): Promise<{ started: number; dropped: number } | null> {
  const [resumed] = await tx
    .delete(workflowHolds)
    .where(and(eq(workflowHolds.workflowKey, workflowKey), onlyIfPausedBy === undefined ? undefined : eq(workflowHolds.heldByLabel, onlyIfPausedBy)))
    .returning();
  if (!resumed) return null;
  await tx.insert(workflowHoldLog).values({ workflowKey, action: "released", reason, actorId: actor.id, actorLabel: actor.label });
  await enqueueWorkflowEvent(tx, "workflow.resumed", { workflowKey, reason, actor });
  return startQueuedIn(tx, workflowKey, actor);
}

/**
 * Resumes a paused workflow: new instances may start again, and those queued meanwhile start in
 * order. Log row, `workflow.resumed` event and the queued starts in the same transaction.
 * Returns how many queued starts began and were dropped as expired.
 * Errors: `invalid`, `not_found` (no such workflow), `conflict` (not paused).
 */
export async function resumeWorkflow(db: Db, raw: Untrusted, actor: Actor): Promise<{ started: number; dropped: number }> {
  const input = parseInput(resumeWorkflowInputSchema, raw);
  return db.transaction(async (tx) => {
    await lockVersions(tx, input.workflow);
    const resumed = await resumeWorkflowIn(tx, input.workflow, input.reason ?? null, actor);
    if (!resumed) throw conflict(`${input.workflow} is not paused`);
    return resumed;
  });
}

/**
 * Inside a start's transaction: the workflow's pause in force, if any, for the start to refuse or
 * queue (start-policy.ts). Takes the start's version FOR SHARE first, so a pause committing
 * meanwhile is waited for and then seen, and a resume (FOR UPDATE) cannot start the queue between
 * this read and the start's commit (see lockVersions).
 */
export async function workflowPauseForStart(tx: Tx, key: string, definitionId: string): Promise<WorkflowHold | undefined> {
  await tx.select({ id: workflowDefinitions.id }).from(workflowDefinitions).where(eq(workflowDefinitions.id, definitionId)).for("share");
  return workflowPauseOf(tx, key);
}

/** The refusal of a start while its workflow is paused under the `refuse` policy (409). */
export const pausedStartRefusal = (key: string, pause: WorkflowHold) => conflict(`${key} is paused by ${pause.heldByLabel}, so no new instance starts: ${pause.reason}`);

/** The workflow's pause in force, if it is paused. */
export async function workflowPauseOf(db: DbOrTx, key: string): Promise<WorkflowHold | undefined> {
  const [pause] = await db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, key));
  return pause;
}

/** The pauses in force of these workflows (`pauses`, by key) and each one's latest log entries (`log`, newest first), for the workflows page and API. */
export async function workflowPausesOf(db: DbOrTx, keys: string[], perWorkflow = 5) {
  if (!keys.length) return { pauses: new Map<string, WorkflowHold>(), log: [] };
  // The newest few of each workflow, so one busy workflow cannot crowd the others out.
  const ranked = db
    .select({ id: workflowHoldLog.id, rank: sql<number>`row_number() over (partition by ${workflowHoldLog.workflowKey} order by ${workflowHoldLog.createdAt} desc, ${workflowHoldLog.id} desc)`.as("rank") })
    .from(workflowHoldLog)
    .where(inArray(workflowHoldLog.workflowKey, keys))
    .as("ranked");
  const [pauses, log] = await Promise.all([
    db.select().from(workflowHolds).where(inArray(workflowHolds.workflowKey, keys)),
    db
      .select({ entry: workflowHoldLog })
      .from(workflowHoldLog)
      .innerJoin(ranked, and(eq(ranked.id, workflowHoldLog.id), lte(ranked.rank, perWorkflow)))
      .orderBy(desc(workflowHoldLog.createdAt), desc(workflowHoldLog.id)),
  ]);
  return { pauses: new Map(pauses.map((p) => [p.workflowKey, p])), log: log.map((r) => r.entry) };
}

/** Every pause and resume of every workflow, newest first: the workflow pause log for auditors (`limit` null: all of it, for export). */
export function workflowPauseLog(db: DbOrTx, limit: number | null = 200) {
  const query = db.select().from(workflowHoldLog).orderBy(desc(workflowHoldLog.createdAt), desc(workflowHoldLog.id));
  return limit === null ? query : query.limit(limit);
}
