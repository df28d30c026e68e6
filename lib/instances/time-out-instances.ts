import { and, eq, inArray, lte, not, or, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instances, stepRuns } from "@/db/schema";
import { withdrawGates } from "@/lib/gates/outcome";
import { appendHistory } from "@/lib/history";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { transition } from "@/lib/state-machine";
import { clocksStopped, readClocks } from "./clocks";
import { lockInstance } from "./lock";

const CLOCK = { id: null, label: "system:clock" };

/**
 * Instances past their deadline time out: running steps are told to stop, queued ones dropped,
 * pending gates withdrawn. A fully paused instance is left alone (its clocks are stopped and its
 * deadline moves on resume); one still draining is not paused yet and times out like a running one
 * (see clocks.ts). Each instance is its own transaction under the instance lock, rechecked there
 * (deadline and clocks), so workers may race.
 */
export async function timeOutDueInstances(db: Db, now = new Date(), limit = 20): Promise<number> {
  const due = await db
    .select({ id: instances.id })
    .from(instances)
    // Two arms so the first can use instances_due_idx (running, waiting); draining instances are few.
    .where(and(lte(instances.dueAt, now), or(inArray(instances.status, ["running", "waiting"]), and(eq(instances.status, "paused"), not(clocksStopped)))))
    .limit(limit);
  let timedOut = 0;
  for (const { id } of due) {
    const done = await db.transaction(async (tx) => {
      const current = await lockInstance(tx, id);
      if (!current.dueAt || current.dueAt > now) return false;
      const t = transition(current.status, "time_out");
      if (!t.ok || (await readClocks(tx, id)).stopped) return false;
      const runs = await tx
        .update(stepRuns)
        .set({ status: "cancelled", finishedAt: now, leaseExpiresAt: null, error: "The instance timed out" })
        .where(and(eq(stepRuns.instanceId, id), inArray(stepRuns.status, ["pending", "running"])))
        .returning({ stepKey: stepRuns.stepKey });
      const withdrawn = await withdrawGates(tx, current, CLOCK);
      const [updated] = await tx
        .update(instances)
        .set({ status: t.to, finishedAt: now, currentSteps: [], error: `Timed out: not finished by ${current.dueAt.toISOString()}`, version: sql`${instances.version} + 1`, updatedAt: now })
        .where(eq(instances.id, id))
        .returning();
      await appendHistory(tx, {
        instanceId: id,
        workflowKey: current.workflowKey,
        action: "timed_out",
        actor: CLOCK,
        reason: `Not finished by its deadline, ${current.dueAt.toISOString()}`,
        fromStatus: t.from,
        toStatus: t.to,
        details: { cancelledSteps: runs.map((r) => r.stepKey), withdrawnGates: withdrawn },
      });
      await enqueueEvent(tx, "workflow.instance.timed_out", updated!);
      await notify(tx, channels.control, id);
      return true;
    });
    if (done) timedOut++;
  }
  return timedOut;
}
