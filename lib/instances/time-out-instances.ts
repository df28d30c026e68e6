import "server-only";
import { and, eq, inArray, lte, not, or, type SQL } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instances } from "@/db/schema";
import { clockActor } from "@/lib/actors";
import { clocksStopped } from "./clocks";
import { endInstance } from "./end-instance";
import { lockInstance } from "./lock";

/**
 * Which instances are due to time out at `now`: the one rule, used both to select them and to
 * re-check each under its lock. A fully paused instance is not due (its clocks are stopped and its
 * deadline moves on resume); one still draining is not paused yet and times out like a running
 * one (see clocks.ts). Two arms, so the first can use instances_due_idx; draining instances are few.
 */
const dueForTimeOut = (now: Date): SQL =>
  and(lte(instances.dueAt, now), or(inArray(instances.status, ["running", "waiting"]), and(eq(instances.status, "paused"), not(clocksStopped))))!;

/**
 * Instances past their deadline time out through endInstance: running steps told to stop, queued
 * ones dropped, pending gates withdrawn, any hold cleared, history and event. Each instance is its
 * own transaction; under its lock it is time-out only if it is still due (the same rule that
 * selected it) and the state machine allows it, so several workers may race.
 *
 * @returns how many instances timed out.
 */
export async function timeOutDueInstances(db: Db, now = new Date(), limit = 20): Promise<number> {
  const due = await db.select({ id: instances.id }).from(instances).where(dueForTimeOut(now)).limit(limit);
  let timedOut = 0;
  for (const { id } of due) {
    const done = await db.transaction(async (tx) => {
      const current = await lockInstance(tx, id);
      const [still] = await tx.select({ id: instances.id }).from(instances).where(and(eq(instances.id, id), dueForTimeOut(now)));
      if (!still || !current.dueAt) return false;
      const deadline = current.dueAt.toISOString();
      const ended = await endInstance(tx, current, {
        command: "time_out",
        actor: clockActor,
        reason: `Not finished by its deadline, ${deadline}`,
        error: `Timed out: not finished by ${deadline}`,
        runError: "The instance timed out",
        now,
      });
      return ended.ok;
    });
    if (done) timedOut++;
  }
  return timedOut;
}
