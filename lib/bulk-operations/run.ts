import "server-only";
import { and, asc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Db, Tx } from "@/db/client";
import { bulkOperationItems, bulkOperations, type BulkOperation } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { stillMatches } from "@/lib/instances/bulk-filter";
import { lockInstance } from "@/lib/instances/lock";
import { applyPause } from "@/lib/instances/pause-instance";
import { applyResume } from "@/lib/instances/resume-instance";
import { allows } from "@/lib/state-machine";
import { notifyBulkProgress, PROGRESS_EVERY_MS } from "./progress";

/** Targets read per round; the lease is renewed between rounds. */
const ROUND = 50;

/**
 * Takes one running bulk operation whose lease is free or has run out, oldest first, for
 * `leaseMs` milliseconds; null when there is none. SKIP LOCKED: workers never wait on each other.
 */
export async function claimBulkOperation(db: Db, workerId: string, leaseMs: number): Promise<BulkOperation | null> {
  const free = db
    .select({ id: bulkOperations.id })
    .from(bulkOperations)
    .where(and(eq(bulkOperations.state, "running"), or(isNull(bulkOperations.leaseExpiresAt), lt(bulkOperations.leaseExpiresAt, sql`now()`))))
    .orderBy(asc(bulkOperations.createdAt))
    .limit(1)
    .for("update", { skipLocked: true });
  const [claimed] = await db
    .update(bulkOperations)
    .set({ leaseOwner: workerId, leaseExpiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(sql`${bulkOperations.id} = (${free})`)
    .returning();
  return claimed ?? null;
}

export type RunOptions = {
  workerId: string;
  leaseMs: number;
  /** Stops between targets (the worker is shutting down); what is left stays pending for the next lease holder. */
  signal?: AbortSignal;
  /** Resumes per second; the operation's own rate unless a test sets it. */
  ratePerSecond?: number;
};

/** Why a run stopped: every target done, cancelled (or its lease lost) under it, or told to stop. */
export type RunOutcome = "completed" | "cancelled" | "lost" | "stopped";

/**
 * Works through a claimed operation's pending targets in order, each in its own transaction
 * (actOnTarget), renewing the lease every round, until none is left (then it is completed), the
 * operation is cancelled or its lease taken over (it stops at once), or `signal` aborts. Resumes
 * are paced at the operation's rate, as bulk resume by ids is. Progress is announced
 * (notifyBulkProgress) in a target's own transaction at most every PROGRESS_EVERY_MS, and always
 * in the one that completes the operation, so open pages follow it without polling.
 * Throws only what the database throws.
 */
export async function runBulkOperation(db: Db, operation: BulkOperation, options: RunOptions): Promise<RunOutcome> {
  const spacingMs = operation.action === "resume" ? 1000 / (options.ratePerSecond ?? operation.ratePerSecond ?? 20) : 0;
  let next = performance.now();
  let lastNotice = Number.NEGATIVE_INFINITY;
  for (;;) {
    if (options.signal?.aborted) return "stopped";
    const still = await renewLease(db, operation.id, options);
    if (still !== "running") return still;
    const pending = await db
      .select({ instanceId: bulkOperationItems.instanceId })
      .from(bulkOperationItems)
      .where(and(eq(bulkOperationItems.operationId, operation.id), eq(bulkOperationItems.status, "pending")))
      .orderBy(asc(bulkOperationItems.seq))
      .limit(ROUND);
    if (!pending.length) return finish(db, operation.id, options.workerId);
    for (const { instanceId } of pending) {
      if (options.signal?.aborted) return "stopped";
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next = performance.now() + spacingMs;
      const announce = performance.now() - lastNotice >= PROGRESS_EVERY_MS;
      if ((await actOnTarget(db, operation, instanceId, announce)) === "cancelled") return "cancelled";
      if (announce) lastNotice = performance.now();
    }
  }
}

/** Extends this worker's lease; says whether the operation is still running and still ours. */
async function renewLease(db: Db, id: string, options: RunOptions): Promise<"running" | "cancelled" | "lost"> {
  const [row] = await db
    .update(bulkOperations)
    .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${options.leaseMs / 1000})` })
    .where(and(eq(bulkOperations.id, id), eq(bulkOperations.state, "running"), eq(bulkOperations.leaseOwner, options.workerId)))
    .returning({ id: bulkOperations.id });
  if (row) return "running";
  const [now] = await db.select({ state: bulkOperations.state }).from(bulkOperations).where(eq(bulkOperations.id, id));
  return now?.state === "running" ? "lost" : "cancelled";
}

/** Marks the operation completed once nothing is pending, lets its lease go, and announces the end in the same transaction. */
async function finish(db: Db, id: string, workerId: string): Promise<RunOutcome> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(bulkOperations)
      .set({ state: "completed", finishedAt: sql`now()`, leaseOwner: null, leaseExpiresAt: null })
      .where(and(eq(bulkOperations.id, id), eq(bulkOperations.state, "running"), eq(bulkOperations.leaseOwner, workerId)))
      .returning({ id: bulkOperations.id });
    if (!row) return "cancelled";
    await notifyBulkProgress(tx, id);
    return "completed";
  });
}

/** Lets go of the lease without finishing (a worker stopping), so another takes the operation up at once. */
export async function releaseBulkLease(db: Db, id: string, workerId: string): Promise<void> {
  await db
    .update(bulkOperations)
    .set({ leaseOwner: null, leaseExpiresAt: null })
    .where(and(eq(bulkOperations.id, id), eq(bulkOperations.leaseOwner, workerId), eq(bulkOperations.state, "running")));
}

class Cancelled extends Error {}

/**
 * One target, in one transaction: the operation row FOR SHARE (a cancel, FOR UPDATE, waits for
 * this or makes it stop), the target FOR UPDATE (still pending? a second worker after a lost lease
 * finds it done and leaves it), then the instance's own lock; under it, the instance must still
 * match the filter's status and workflow (DESIGN invariant 10: an automatic action re-checks what
 * it decided on), and the command (applyPause, applyResume) checks the transition and writes the
 * history row, with the operation's id in its details, and the event. The target is marked done in
 * the same transaction, so a crash never pauses an instance twice nor loses that it was paused.
 * A refusal rolls the command back and is recorded on the target with its code and message.
 * With `announce`, the transaction that records the target also NOTIFYs the operation's progress.
 */
async function actOnTarget(db: Db, operation: BulkOperation, instanceId: string, announce: boolean): Promise<"done" | "cancelled"> {
  try {
    await db.transaction(async (tx) => {
      const [op] = await tx.select({ state: bulkOperations.state }).from(bulkOperations).where(eq(bulkOperations.id, operation.id)).for("share");
      if (op?.state !== "running") throw new Cancelled();
      const [item] = await tx
        .select({ status: bulkOperationItems.status })
        .from(bulkOperationItems)
        .where(and(eq(bulkOperationItems.operationId, operation.id), eq(bulkOperationItems.instanceId, instanceId)))
        .for("update");
      if (item?.status !== "pending") return;
      await applyCommand(tx, operation, instanceId);
      await markTarget(tx, operation.id, instanceId, { status: "succeeded" });
      if (announce) await notifyBulkProgress(tx, operation.id);
    });
    return "done";
  } catch (error) {
    if (error instanceof Cancelled) return "cancelled";
    if (!(error instanceof AppError)) throw error;
    const refusal = { status: "refused" as const, code: error.code, message: error.message };
    if (!announce) await markTarget(db, operation.id, instanceId, refusal);
    else
      await db.transaction(async (tx) => {
        await markTarget(tx, operation.id, instanceId, refusal);
        await notifyBulkProgress(tx, operation.id);
      });
    return "done";
  }
}

async function applyCommand(tx: Tx, operation: BulkOperation, instanceId: string): Promise<void> {
  const current = await lockInstance(tx, instanceId);
  const linked = { bulkOperationId: operation.id };
  // Only an instance the action could still move is checked against the filter: for one it
  // cannot, the command's own refusal says more (who paused or resumed it first, and when).
  if (allows(current.status, operation.action)) {
    const drifted = stillMatches(operation.filter, current);
    if (drifted) throw new AppError("conflict", drifted, undefined, { headline: "No longer matches the filter", at: null });
  }
  if (operation.action === "pause") {
    await applyPause(tx, current, { reason: operation.reason ?? "", mode: operation.mode ?? "graceful", category: operation.category ?? undefined, ticketUrl: operation.ticketUrl ?? undefined }, actorOf(operation), undefined, linked);
  } else {
    await applyResume(tx, current, { reason: operation.reason, force: operation.force, category: operation.category, ticketUrl: operation.ticketUrl }, actorOf(operation), linked);
  }
}

const actorOf = (operation: BulkOperation) => ({ id: operation.actorId, label: operation.actorLabel });

async function markTarget(db: Db | Tx, operationId: string, instanceId: string, result: { status: "succeeded" } | { status: "refused"; code: string; message: string }): Promise<void> {
  await db
    .update(bulkOperationItems)
    .set({ ...result, doneAt: sql`now()` })
    .where(and(eq(bulkOperationItems.operationId, operationId), eq(bulkOperationItems.instanceId, instanceId), eq(bulkOperationItems.status, "pending")));
}
