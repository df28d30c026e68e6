import { and, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { history, instances, stepRuns } from "@/db/schema";
import { MAX_LEASE_LOSSES, reclaimExpiredLeases } from "@/engine/maintenance";
import { freshDatabase } from "../support/db";
import { createDefinition, createInstance } from "../support/factories";

const t = await freshDatabase();

/**
 * Lets the running run of `stepKey` lose its worker `losses` times through the engine's own path
 * (lease expired, reclaimed, queued again and taken by the next worker), then lets the worker
 * running it now vanish too: the next reclaim is loss number `losses + 1`.
 */
async function loseWorkers(instanceId: string, stepKey: string, losses: number) {
  const expire = () => t.db.execute(sql`update step_runs set lease_expires_at = now() - interval '1 second' where instance_id = ${instanceId} and step_key = ${stepKey} and status = 'running'`);
  for (let i = 0; i < losses; i++) {
    await expire();
    await reclaimExpiredLeases(t.db);
    await t.db.execute(sql`update step_runs set status = 'running', worker_id = ${`w${i + 2}`}, started_at = now(), lease_expires_at = now() + interval '1 minute' where instance_id = ${instanceId} and step_key = ${stepKey} and status = 'pending'`);
  }
  await expire();
}

async function withLostRuns(previousLosses: number) {
  const inst = await createInstance(t.db, { runningSteps: ["a"] });
  await loseWorkers(inst.id, "a", previousLosses);
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

it("a step's own failures whose message reads like a lost lease are not counted as lost workers", async () => {
  // The step's error text is the author's: a token service may well say "Lease expired: …".
  // Only runs the engine ended because their worker vanished count towards a poison step.
  const inst = await createInstance(t.db, { runningSteps: ["a"] });
  for (let attempt = 1; attempt < MAX_LEASE_LOSSES; attempt++) {
    await t.db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "a", attempt, status: "failed", error: "Lease expired: the upstream token must be renewed", finishedAt: new Date() });
  }
  await t.db.execute(sql`update step_runs set lease_expires_at = now() - interval '1 second' where instance_id = ${inst.id} and status = 'running'`);
  await reclaimExpiredLeases(t.db);
  const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
  expect(row!.status).toBe("running");
  const pending = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.status, "pending")));
  expect(pending.map((r) => r.stepKey)).toEqual(["a"]);
});

it("a poison step is found whatever its key holds (a key registered before keys were restricted)", async () => {
  // The step keys travel as one text[] parameter: a comma in a key must not split it in two.
  const def = await createDefinition(t.db, { steps: [{ key: "load,retry", name: "Load", dependsOn: [] }] });
  const inst = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, runningSteps: ["load,retry"] });
  await loseWorkers(inst.id, "load,retry", MAX_LEASE_LOSSES - 1);
  await reclaimExpiredLeases(t.db);
  const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
  expect(row).toMatchObject({ status: "failed", error: expect.stringContaining(`lost its worker ${MAX_LEASE_LOSSES} times`) });
});
