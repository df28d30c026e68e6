import { and, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { history, instances, stepRuns } from "@/db/schema";
import { MAX_LEASE_LOSSES, reclaimExpiredLeases } from "@/engine/maintenance";
import { freshDatabase } from "../support/db";
import { createInstance } from "../support/factories";

const t = await freshDatabase();

async function withLostRuns(previousLosses: number) {
  const inst = await createInstance(t.db, { runningSteps: ["a"] });
  for (let i = 0; i < previousLosses; i++) {
    await t.db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "a", status: "interrupted", error: "Lease expired: worker w1 stopped heartbeating", finishedAt: new Date() });
  }
  // The worker running it now has vanished too.
  await t.db.execute(sql`update step_runs set lease_expires_at = now() - interval '1 second' where instance_id = ${inst.id} and status = 'running'`);
  return inst;
}

it("a step that keeps losing its worker fails the instance instead of running again", async () => {
  const inst = await withLostRuns(MAX_LEASE_LOSSES - 1);
  await reclaimExpiredLeases(t.db);
  const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
  expect(row).toMatchObject({ status: "failed", error: expect.stringContaining(`lost its worker ${MAX_LEASE_LOSSES} times`) });
  const pending = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.status, "pending")));
  expect(pending).toEqual([]);
  expect((await t.db.select().from(history).where(eq(history.instanceId, inst.id))).find((h) => h.action === "failed")).toMatchObject({ action: "failed", toStatus: "failed" });
});

it("a first lost worker only queues the step again", async () => {
  const inst = await withLostRuns(0);
  await reclaimExpiredLeases(t.db);
  const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
  expect(row!.status).toBe("running");
  const pending = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.status, "pending")));
  expect(pending.map((r) => r.stepKey)).toEqual(["a"]);
});
