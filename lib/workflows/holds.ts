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
export const holdInputSchema = z.object({ workflow: workflowKey, reason: requiredReason("Say why you are pausing the workflow") });
export const releaseInputSchema = z.object({ workflow: workflowKey, reason: optionalReason });

/**
 * Locks every registered version of a workflow FOR UPDATE. A start takes its version FOR SHARE
 * (refuseIfHeld), so a hold and a start serialise: a start either commits before the
 * hold, or waits for it and then sees it and refuses. No instance starts after a hold commits.
 */
async function lockVersions(tx: Tx, key: string): Promise<void> {
  const versions = await tx.select({ id: workflowDefinitions.id }).from(workflowDefinitions).where(eq(workflowDefinitions.key, key)).for("update");
  if (!versions.length) throw notFound("Workflow");
}

/** Holds a workflow: no new instance of it starts until it is released. Running ones go on. Log row and event in the same transaction. */
export async function holdWorkflow(db: Db, raw: Untrusted, actor: Actor): Promise<WorkflowHold> {
  const input = parseInput(holdInputSchema, raw);
  return db.transaction(async (tx) => {
    await lockVersions(tx, input.workflow);
    const [hold] = await tx
      .insert(workflowHolds)
      .values({ workflowKey: input.workflow, reason: input.reason, heldById: actor.id, heldByLabel: actor.label })
      .onConflictDoNothing()
      .returning();
    if (!hold) {
      const current = await holdOf(tx, input.workflow);
      throw conflict(`${input.workflow} is already paused${current ? ` by ${current.heldByLabel}: ${current.reason}` : ""}`);
    }
    await tx.insert(workflowHoldLog).values({ workflowKey: input.workflow, action: "held", reason: input.reason, actorId: actor.id, actorLabel: actor.label });
    await enqueueWorkflowEvent(tx, "workflow.paused", { workflowKey: input.workflow, reason: input.reason, actor });
    return hold;
  });
}

/** Releases a held workflow: new instances may start again. */
export async function releaseWorkflow(db: Db, raw: Untrusted, actor: Actor): Promise<void> {
  const input = parseInput(releaseInputSchema, raw);
  await db.transaction(async (tx) => {
    await lockVersions(tx, input.workflow);
    const [released] = await tx.delete(workflowHolds).where(eq(workflowHolds.workflowKey, input.workflow)).returning();
    if (!released) throw conflict(`${input.workflow} is not paused`);
    await tx.insert(workflowHoldLog).values({ workflowKey: input.workflow, action: "released", reason: input.reason ?? null, actorId: actor.id, actorLabel: actor.label });
    await enqueueWorkflowEvent(tx, "workflow.resumed", { workflowKey: input.workflow, reason: input.reason ?? null, actor });
  });
}

/**
 * Inside a start's transaction: refuses when the workflow is held. Takes the start's version FOR
 * SHARE first, so a hold committing meanwhile is waited for and then seen (see lockVersions).
 */
export async function refuseIfHeld(tx: Tx, key: string, definitionId: string): Promise<void> {
  await tx.select({ id: workflowDefinitions.id }).from(workflowDefinitions).where(eq(workflowDefinitions.id, definitionId)).for("share");
  const hold = await holdOf(tx, key);
  if (hold) throw conflict(`${key} is paused by ${hold.heldByLabel}, so no new instance starts: ${hold.reason}`);
}

export async function holdOf(db: DbOrTx, key: string): Promise<WorkflowHold | undefined> {
  const [hold] = await db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, key));
  return hold;
}

/** The current holds of these workflows and each one's latest log entries, for the workflows page and API. */
export async function holdsOf(db: DbOrTx, keys: string[], perWorkflow = 5) {
  if (!keys.length) return { holds: new Map<string, WorkflowHold>(), log: [] };
  // The newest few of each workflow, so one busy workflow cannot crowd the others out.
  const ranked = db
    .select({ id: workflowHoldLog.id, rank: sql<number>`row_number() over (partition by ${workflowHoldLog.workflowKey} order by ${workflowHoldLog.createdAt} desc, ${workflowHoldLog.id} desc)`.as("rank") })
    .from(workflowHoldLog)
    .where(inArray(workflowHoldLog.workflowKey, keys))
    .as("ranked");
  const [holds, log] = await Promise.all([
    db.select().from(workflowHolds).where(inArray(workflowHolds.workflowKey, keys)),
    db
      .select({ entry: workflowHoldLog })
      .from(workflowHoldLog)
      .innerJoin(ranked, and(eq(ranked.id, workflowHoldLog.id), lte(ranked.rank, perWorkflow)))
      .orderBy(desc(workflowHoldLog.createdAt), desc(workflowHoldLog.id)),
  ]);
  return { holds: new Map(holds.map((h) => [h.workflowKey, h])), log: log.map((r) => r.entry) };
}

/** Every hold and release of every workflow, newest first: the workflow pause log for auditors (`limit` null: all of it, for export). */
export function workflowPauseLog(db: DbOrTx, limit: number | null = 200) {
  const query = db.select().from(workflowHoldLog).orderBy(desc(workflowHoldLog.createdAt), desc(workflowHoldLog.id));
  return limit === null ? query : query.limit(limit);
}
