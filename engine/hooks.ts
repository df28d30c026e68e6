import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "@/db/client";
import { instances, type Instance } from "@/db/schema";
import { channels, notify } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { engineActor } from "@/lib/actors";
import type { RegisteredWorkflow } from "@/lib/workflows/sdk";
import { anyUuid } from "@/db/sql-arrays";
import { takeHookLeases } from "./sql/take-hook-leases";
import { clipText } from "@/lib/text";

export type HookName = "onPause" | "onResume";
export type HookJob = { instance: Instance; hook: HookName };

/**
 * Takes instances whose lifecycle hook is due (see takeHookLeases for when), under a hook lease
 * so that exactly one worker runs it and a crashed worker's hook is retried once the lease
 * expires (hooks run at least once). Only workflows that declare hooks are considered; the others
 * never leave `held`. `leaseMs` in milliseconds; at most `limit` jobs.
 */
export async function takeHookJobs(db: Db, options: { workerId: string; workflowKeys: string[]; leaseMs: number; limit: number }): Promise<HookJob[]> {
  if (!options.workflowKeys.length) return [];
  const rows = await takeHookLeases(db, options);
  if (!rows.length) return [];
  const ids = rows.map((r) => r.id);
  const full = await db.select().from(instances).where(anyUuid(instances.id, ids));
  return full.map((instance) => ({ instance, hook: instance.resources === "releasing" ? "onPause" : "onResume" }));
}

/**
 * Runs the hook, then records it: a history row on the instance (its failure shown, not
 * swallowed) and the new resource state. A failing hook does not strand the instance: onPause
 * failing still counts as released, onResume failing still lets steps run, and both are visible.
 */
export async function runHookJob(db: Db, job: HookJob, workflow: RegisteredWorkflow | undefined, options: { workerId: string; timeoutMs: number; log: Logger }): Promise<void> {
  const fn = workflow?.[job.hook];
  const started = Date.now();
  let error: string | null = null;
  if (fn) {
    try {
      await withTimeout(Promise.resolve(fn({ instance: job.instance, log: options.log.child({ instanceId: job.instance.id, hook: job.hook }) })), options.timeoutMs);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  const durationMs = Date.now() - started;

  await db.transaction(async (tx) => {
    // NO KEY UPDATE: this only ever unblocks claims (released → …, reacquiring → held), and it
    // serialises with every other writer of the instance's history chain.
    const [current] = await tx.select().from(instances).where(eq(instances.id, job.instance.id)).for("no key update");
    if (!current || current.hookWorkerId !== options.workerId) return;
    const next = job.hook === "onPause" ? (current.status === "paused" ? "released" : "reacquiring") : "held";
    await tx.update(instances).set({ resources: next, hookLeaseExpiresAt: null, hookWorkerId: null }).where(eq(instances.id, current.id));
    if (fn) {
      const what = job.hook === "onPause" ? "Fully paused; onPause" : "onResume";
      await appendHistory(tx, {
        instanceId: current.id,
        workflowKey: current.workflowKey,
        action: error ? "hook_failed" : "hook_ran",
        actor: engineActor,
        reason: error ? clipText(`${what} failed: ${error}`, 2000) : `${what} ran`,
        fromStatus: current.status,
        toStatus: current.status,
        details: { hook: job.hook, ok: error === null, error, durationMs },
      });
    }
    if (next === "held") await notify(tx, channels.wake, current.id);
  });
  if (error) options.log.warn({ instanceId: job.instance.id, hook: job.hook, error }, "lifecycle hook failed");
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
