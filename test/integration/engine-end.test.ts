/**
 * An ended instance keeps no open gate, with a real worker running the steps: a step that fails
 * in a branch beside a pending gate fails the instance and withdraws the gate, so it leaves the
 * inbox and approving it afterwards is a conflict that starts nothing.
 */
import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { gates, history, instances, stepRuns } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { approveGate } from "@/lib/gates/decide-gate";
import { inboxFor } from "@/lib/gates/queries";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));
const approver = await createUser(t.db, "approver");

it("a step failing beside a pending gate fails the instance and withdraws the gate", async () => {
  const worker = await spawnWorker(t.url);
  const inst = await startInstance(t.db, { workflow: "t-branch-gate" }, operator, { catalog });
  const failed = await waitFor("instance failed", async () => {
    const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
    return row?.status === "failed" && row;
  });
  expect(failed.error).toContain("disk full");
  await worker.stop();

  const [gate] = await t.db.select().from(gates).where(and(eq(gates.instanceId, inst.id), eq(gates.stepKey, "release")));
  expect(gate).toMatchObject({ status: "withdrawn", decidedAt: expect.any(Date) });
  const withdrawn = await t.db.select().from(history).where(and(eq(history.instanceId, inst.id), eq(history.action, "gate_withdrawn")));
  expect(withdrawn.map((h) => h.details)).toEqual([expect.objectContaining({ gateId: gate!.id, stage: "release approval" })]);
  expect((await inboxFor(t.db, approver)).map((i) => i.gate.id)).not.toContain(gate!.id);

  const error = await approveGate(t.db, { gateId: gate!.id, comment: "ship it" }, approver).then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: "conflict", status: 409 });
  const gatedRuns = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "release")));
  expect(gatedRuns).toEqual([]);
});
