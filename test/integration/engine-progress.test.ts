import { asc, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { stepRuns } from "@/db/schema";
import { channels } from "@/lib/events";
import { startInstance } from "@/lib/instances/start-instance";
import { parseProgress } from "@/lib/step-progress";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog, releaseMark } from "../support/test-catalog";
import { prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

/*
 * Issue 15: steps starting and finishing write no outbox event, so an open instance page saw them
 * only by polling every 3 s. A worker now sends `flowgate_progress` (lib/step-progress.ts) after
 * its claims and settles commit, naming the instances whose steps moved. Step `a` of t-window runs
 * until the test releases it, so the order of what the test sees is set by conditions, not by time.
 */

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));

/** Each notification naming the instance, with its steps as read right after it arrived. */
type Seen = { stepStatuses: Promise<Record<string, string>> };
const seen = new Map<string, Seen[]>();
const statusesOf = async (id: string) =>
  Object.fromEntries((await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt))).map((r) => [r.stepKey, r.status]));
await t.sql.listen(channels.progress, (payload) => {
  for (const id of parseProgress(payload).instanceIds ?? []) {
    const list = seen.get(id) ?? [];
    list.push({ stepStatuses: statusesOf(id) });
    seen.set(id, list);
  }
});
await spawnWorker(t.url);

it("a worker notifies flowgate_progress once a step start and a step finish have committed, naming the instance", async () => {
  const inst = await startInstance(t.db, { workflow: "t-window" }, operator, { catalog });
  const of = () => seen.get(inst.id) ?? [];

  // The claim of `a`: the notification comes after it committed, and `a` cannot finish before the release below.
  await waitFor("a notification naming the instance (step a started)", async () => of().length > 0);
  expect(await of()[0]!.stepStatuses).toEqual({ a: "running" });

  const before = of().length;
  await t.db.execute(sql`insert into test_observations (instance_id, step, what) values (${inst.id}, '-', ${releaseMark("a")})`);
  // The settle of `a` (which also starts `b`): the first notification after the release reads `a` completed.
  await waitFor("a notification after the release (step a finished)", async () => of().length > before);
  expect((await of()[before]!.stepStatuses).a).toBe("completed");

  await waitFor("b's finish notified", async () => {
    const last = of().at(-1);
    return !!last && (await last.stepStatuses).b === "completed";
  });
});
