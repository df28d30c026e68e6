import "server-only";
import { and, asc, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { instances, workflowDefinitions, type Actor, type Instance, type WorkflowHold } from "@/db/schema";
import { clockActor } from "@/lib/actors";
import { enqueueEvent } from "@/lib/events";
import { databaseNow } from "@/lib/db-now";
import { appendHistory } from "@/lib/history";
import { endInstance } from "@/lib/instances/end-instance";
import { beginInstance } from "@/lib/instances/lifecycle/begin";
import { lockInstance } from "@/lib/instances/lock";

/*
 * Starts accepted while their workflow was paused under the `queue` policy (start-policy.ts):
 * stored `pending` with `queuedAt` (and `queueExpiresAt` with a time-to-live), started in the
 * order they came when the workflow's pause ends, or dropped (cancelled, the reason recorded)
 * once their time-to-live has passed.
 */

/** Why a queued start was dropped: the history row's reason. */
export const dropReason = (workflowKey: string, ttlSeconds: number | null) =>
  `Dropped from the queue: still waiting after its time-to-live${ttlSeconds ? ` of ${ttlSeconds} s` : ""} while ${workflowKey} was paused`;

/**
 * Inside a start's transaction, once the workflow is known to be paused and its policy is
 * `queue`: inserts the instance `pending` with `queuedAt` (and `queueExpiresAt` after
 * `ttlSeconds`), history `queued` (from nothing to pending) naming the pause it waits for, and the
 * `workflow.instance.queued` event. The deadline (`dueAt`, when the workflow has `timeoutMs`) is
 * stored from now and moved by the time spent queued when it starts.
 */
export async function queueStart(
  tx: Tx,
  values: { definitionId: string; workflowKey: string; version: number; input: Record<string, unknown>; dueAt: Date | null },
  actor: Actor,
  pause: WorkflowHold,
  ttlSeconds: number | null,
): Promise<Instance> {
  const now = new Date();
  const [queued] = await tx
    .insert(instances)
    .values({
      definitionId: values.definitionId,
      workflowKey: values.workflowKey,
      input: values.input,
      startedById: actor.id,
      startedByLabel: actor.label,
      dueAt: values.dueAt,
      queuedAt: now,
      queueExpiresAt: ttlSeconds ? new Date(now.getTime() + ttlSeconds * 1000) : null,
    })
    .returning();
  await appendHistory(tx, {
    instanceId: queued!.id,
    workflowKey: queued!.workflowKey,
    action: "queued",
    actor,
    reason: `${values.workflowKey} is paused by ${pause.heldByLabel}: ${pause.reason}`,
    fromStatus: null,
    toStatus: "pending",
    details: { version: values.version, queueTtlSeconds: ttlSeconds, queueExpiresAt: queued!.queueExpiresAt?.toISOString() ?? null, pausedBy: pause.heldByLabel },
  });
  await enqueueEvent(tx, "workflow.instance.queued", queued!);
  return queued!;
}

/**
 * Inside the transaction that ends a workflow's pause (its versions locked FOR UPDATE, so no start
 * can slip in between): starts its queued instances in the order they were accepted (`queuedAt`,
 * then id), each `started` by `actor` (who ended the pause) with how long it waited, its deadline
 * moved by that wait. One whose time-to-live has passed is dropped instead, as the sweep would.
 * Returns how many started and how many were dropped.
 */
export async function startQueuedIn(tx: Tx, workflowKey: string, actor: Actor): Promise<{ started: number; dropped: number }> {
  const queued = await tx
    .select()
    .from(instances)
    .where(and(eq(instances.workflowKey, workflowKey), eq(instances.status, "pending"), isNotNull(instances.queuedAt)))
    .orderBy(asc(instances.queuedAt), asc(instances.id))
    .for("update");
  if (!queued.length) return { started: 0, dropped: 0 };
  const dbNow = await databaseNow(tx);
  const steps = new Map<string, Awaited<ReturnType<typeof definitionSteps>>>();
  let started = 0;
  let dropped = 0;
  for (const instance of queued) {
    if (instance.queueExpiresAt && instance.queueExpiresAt <= dbNow) {
      await drop(tx, instance);
      dropped++;
      continue;
    }
    if (!steps.has(instance.definitionId)) steps.set(instance.definitionId, await definitionSteps(tx, instance.definitionId));
    const waitedMs = dbNow.getTime() - instance.queuedAt!.getTime();
    await beginInstance(
      tx,
      instance,
      steps.get(instance.definitionId)!,
      actor,
      { queuedAt: instance.queuedAt!.toISOString(), queuedForMs: waitedMs, startedBy: instance.startedByLabel },
      // The deadline counts from the real start: moved by the time spent waiting in the queue.
      { dueAt: instance.dueAt ? new Date(instance.dueAt.getTime() + waitedMs) : null, queueExpiresAt: null, version: sql`${instances.version} + 1` },
    );
    started++;
  }
  return { started, dropped };
}

async function definitionSteps(tx: Tx, definitionId: string) {
  const [definition] = await tx.select({ steps: workflowDefinitions.steps }).from(workflowDefinitions).where(eq(workflowDefinitions.id, definitionId));
  return definition!.steps;
}

/** Cancels a queued start whose time-to-live has passed, as the clock (clockActor), saying so. The caller holds its row FOR UPDATE. */
async function drop(tx: Tx, instance: Instance): Promise<void> {
  const ttlSeconds = instance.queueExpiresAt && instance.queuedAt ? Math.round((instance.queueExpiresAt.getTime() - instance.queuedAt.getTime()) / 1000) : null;
  await endInstance(tx, instance, {
    command: "cancel",
    actor: clockActor,
    reason: dropReason(instance.workflowKey, ttlSeconds),
    details: { dropped: true, queuedAt: instance.queuedAt?.toISOString() ?? null, queueTtlSeconds: ttlSeconds },
  });
}

/**
 * The worker's sweep: queued starts still pending past their time-to-live are dropped. Decides
 * from a read, then under each row's lock re-checks that it is still queued and still expired by
 * the database clock (the pause may have ended and started it meanwhile). Returns how many it dropped.
 */
export async function dropExpiredQueuedStarts(db: Db, limit = 50): Promise<number> {
  const due = await db
    .select({ id: instances.id })
    .from(instances)
    .where(and(eq(instances.status, "pending"), isNotNull(instances.queuedAt), lte(instances.queueExpiresAt, sql`now()`)))
    .limit(limit);
  let dropped = 0;
  for (const { id } of due) {
    await db.transaction(async (tx) => {
      const current = await lockInstance(tx, id);
      const [row] = await tx.select({ expired: sql<boolean>`${instances.queueExpiresAt} <= now()` }).from(instances).where(eq(instances.id, id));
      if (current.status !== "pending" || !current.queuedAt || row?.expired !== true) return;
      await drop(tx, current);
      dropped++;
    });
  }
  return dropped;
}
