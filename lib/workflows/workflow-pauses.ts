import "server-only";
import { and, desc, eq, inArray, lte, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx, Tx } from "@/db/client";
import { workflowDefinitions, workflowHoldLog, workflowHolds, type Actor, type WorkflowHold } from "@/db/schema";
import { conflict, notFound } from "@/lib/errors";
import { enqueueWorkflowEvent } from "@/lib/events";
import { optionalReason, requiredReason } from "@/lib/instances/inputs";
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
async function lockVersions(tx: Tx, key: string): Promise<void> {
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
    const [pause] = await tx
      .insert(workflowHolds)
      .values({ workflowKey: input.workflow, reason: input.reason, heldById: actor.id, heldByLabel: actor.label })
      .onConflictDoNothing()
      .returning();
    if (!pause) {
      const current = await workflowPauseOf(tx, input.workflow);
      throw conflict(`${input.workflow} is already paused${current ? ` by ${current.heldByLabel}: ${current.reason}` : ""}`);
    }
    await tx.insert(workflowHoldLog).values({ workflowKey: input.workflow, action: "held", reason: input.reason, actorId: actor.id, actorLabel: actor.label });
    await enqueueWorkflowEvent(tx, "workflow.paused", { workflowKey: input.workflow, reason: input.reason, actor });
    return pause;
  });
}

/**
 * Resumes a paused workflow: new instances may start again. Log row and `workflow.resumed` event
 * in the same transaction. Errors: `invalid`, `not_found` (no such workflow), `conflict` (not paused).
 */
export async function resumeWorkflow(db: Db, raw: Untrusted, actor: Actor): Promise<void> {
  const input = parseInput(resumeWorkflowInputSchema, raw);
  await db.transaction(async (tx) => {
    await lockVersions(tx, input.workflow);
    const [resumed] = await tx.delete(workflowHolds).where(eq(workflowHolds.workflowKey, input.workflow)).returning();
    if (!resumed) throw conflict(`${input.workflow} is not paused`);
    await tx.insert(workflowHoldLog).values({ workflowKey: input.workflow, action: "released", reason: input.reason ?? null, actorId: actor.id, actorLabel: actor.label });
    await enqueueWorkflowEvent(tx, "workflow.resumed", { workflowKey: input.workflow, reason: input.reason ?? null, actor });
  });
}

/**
 * Inside a start's transaction: refuses (`conflict`) when the workflow is paused. Takes the start's
 * version FOR SHARE first, so a pause committing meanwhile is waited for and then seen (see lockVersions).
 */
export async function refuseIfWorkflowPaused(tx: Tx, key: string, definitionId: string): Promise<void> {
  await tx.select({ id: workflowDefinitions.id }).from(workflowDefinitions).where(eq(workflowDefinitions.id, definitionId)).for("share");
  const pause = await workflowPauseOf(tx, key);
  if (pause) throw conflict(`${key} is paused by ${pause.heldByLabel}, so no new instance starts: ${pause.reason}`);
}

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
