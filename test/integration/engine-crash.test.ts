import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { instances, stepRuns } from "@/db/schema";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { observationsOf, prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));

const start = (workflow: string, input?: unknown) => startInstance(t.db, { workflow, input }, operator, { catalog });
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt));
const untilStatus = (id: string, status: string, timeoutMs?: number) =>
  waitFor(
    `instance ${status}`,
    async () => {
      const row = await instanceRow(id);
      return row.status === status && row;
    },
    timeoutMs,
  );
const untilRunning = (id: string, step: string) => waitFor(`${step} running`, async () => (await runsOf(id)).find((r) => r.stepKey === step && r.status === "running"));

describe("a worker killed mid-step", () => {
  it("SIGKILL: the lease expires, another worker runs the step again from its start, nothing is lost", async () => {
    // A short lease for the worker that dies, so its run is reclaimed within the test.
    const doomed = await spawnWorker(t.url, { FLOWGATE_LEASE_MS: "1500" });
    const inst = await start("t-chain", { ms: 1_200 });
    const run = await untilRunning(inst.id, "a");
    expect(run.workerId).toBe(doomed.id);
    await doomed.kill();

    const survivor = await spawnWorker(t.url);
    const done = await untilStatus(inst.id, "completed", 30_000);
    const runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.stepKey, r.attempt, r.status, r.workerId])).toEqual([
      ["a", 1, "interrupted", doomed.id],
      ["a", 1, "completed", survivor.id],
      ["b", 1, "completed", survivor.id],
      ["c", 1, "completed", survivor.id],
    ]);
    expect(runs[0]!.error).toBe(`Lease expired: worker ${doomed.id} stopped heartbeating`);
    expect(done.context).toMatchObject({ a: 1, b: 1, c: 1 });
    await survivor.stop();
  });
});

describe("graceful shutdown (SIGTERM)", () => {
  it("lets the in-flight step finish and keeps its result, then exits 0", async () => {
    const worker = await spawnWorker(t.url);
    const inst = await start("t-chain", { ms: 700 });
    await untilRunning(inst.id, "a");
    expect(await worker.stop()).toBe(0);
    const runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "pending"]]);
    expect((await instanceRow(inst.id)).context).toMatchObject({ a: 1 });
  });

  it("past its grace period it aborts the step and hands the run back, to run again elsewhere", async () => {
    const worker = await spawnWorker(t.url, { FLOWGATE_SHUTDOWN_GRACE_MS: "200" });
    const inst = await start("t-chain", { ms: 3_000 });
    await untilRunning(inst.id, "a");
    expect(await worker.stop()).toBe(0);
    expect(await observationsOf(t.db, inst.id)).toContain("a:aborted");
    const runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.stepKey, r.attempt, r.status])).toEqual([["a", 1, "interrupted"], ["a", 1, "pending"]]);
    expect(runs[0]!.error).toBe(`Released by worker ${worker.id} shutting down`);
  });
});
