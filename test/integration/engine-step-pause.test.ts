/**
 * A step's own pause request is never dropped (DESIGN invariant 11, issue 9 §2): whatever the
 * instance's status when the step's result is recorded, the request is in the history as
 * `step:<key>` and no successor of the step starts until someone resumes. Real worker processes;
 * every ordering is driven by conditions (a step waits until the test releases it).
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { gates, history, instances, stepRuns } from "@/db/schema";
import { approveGate } from "@/lib/gates/decide-gate";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog, releaseMark } from "../support/test-catalog";
import { observationsOf, prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));
const approver = await createUser(t.db, "approver");
await spawnWorker(t.url);

const start = (workflow: string) => startInstance(t.db, { workflow }, operator, { catalog });
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt));
const historyOf = (id: string) => t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq);
/** The history row of `action` by `actorLabel`, once it exists. */
const untilHistory = (id: string, action: string, actorLabel: string) =>
  waitFor(`history ${action} by ${actorLabel}`, async () => (await historyOf(id)).find((h) => h.action === action && h.actorLabel === actorLabel));
const untilStatus = (id: string, status: string) =>
  waitFor(`instance ${status}`, async () => {
    const row = await instanceRow(id);
    return row.status === status && row;
  });
const untilRunning = (id: string, step: string) => waitFor(`${step} running`, async () => (await runsOf(id)).find((r) => r.stepKey === step && r.status === "running"));
/** Lets a step of the test catalog that waits in awaitRelease finish. */
const release = (id: string, step: string) => t.db.execute(sql`insert into test_observations (instance_id, step, what) values (${id}, '-', ${releaseMark(step)})`);
/** Runs of `step` that a worker took (started, whatever became of them): a queued run waiting for the resume is not one. */
const startedRuns = async (id: string, step: string) => (await runsOf(id)).filter((r) => r.stepKey === step && r.startedAt !== null);

describe("a step asks to pause while an operator's graceful pause drains it (check → load)", () => {
  it("records the step's request, names it on the pause, and load waits for a resume", async () => {
    const inst = await start("t-step-pause");
    await untilRunning(inst.id, "check");
    const byOperator = await pauseInstance(t.db, { instanceId: inst.id, reason: "Nightly maintenance", mode: "graceful" }, operator);
    expect(byOperator).toMatchObject({ status: "paused", pausedByLabel: operator.label });
    await release(inst.id, "check");

    // Drained: check finished and kept its result while the instance stayed paused.
    await waitFor("check completed", async () => (await runsOf(inst.id)).find((r) => r.stepKey === "check")?.status === "completed");
    const request = await untilHistory(inst.id, "paused", "step:check");
    expect(request).toMatchObject({
      reason: "Replication lag 45s",
      fromStatus: "paused",
      toStatus: "paused",
      details: expect.objectContaining({ kind: "programmatic", requestedWhilePaused: true, heldBy: expect.objectContaining({ label: operator.label, kind: "manual", reason: "Nightly maintenance" }) }),
    });
    const held = await instanceRow(inst.id);
    expect(held).toMatchObject({ status: "paused", pausedByLabel: "step:check", pausedById: null, pauseReason: "Replication lag 45s", pauseKind: "programmatic", context: { lagSeconds: 45 } });
    // The operator's pause time stands: the clocks moved back on resume count from it.
    expect(held.pausedAt).toEqual(byOperator.pausedAt);
    expect(held.version).toBeGreaterThan(byOperator.version);
    expect(await startedRuns(inst.id, "load")).toEqual([]);
    expect(await observationsOf(t.db, inst.id)).not.toContain("load:started");

    // One resume lifts it, and the resume's row says whose pause it lifted.
    await resumeInstance(t.db, { instanceId: inst.id, reason: "Replica caught up" }, operator);
    const done = await untilStatus(inst.id, "completed");
    expect(done.context).toEqual({ lagSeconds: 45, loaded: true });
    expect((await historyOf(inst.id)).find((h) => h.action === "resumed")).toMatchObject({ details: expect.objectContaining({ pausedBy: "step:check", pauseReason: "Replication lag 45s" }) });
  });
});

describe("a step asks to pause while the instance waits at a gate in another branch", () => {
  it("pauses the waiting instance; approving the gate keeps it paused; z's successor starts only after a resume", async () => {
    const inst = await start("t-step-pause-gate");
    await untilRunning(inst.id, "z");
    await untilStatus(inst.id, "waiting");
    await release(inst.id, "z");

    const request = await untilHistory(inst.id, "paused", "step:z");
    expect(request).toMatchObject({ reason: "Replica behind; hold the release", fromStatus: "waiting", toStatus: "paused", details: expect.objectContaining({ kind: "programmatic" }) });
    expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pausedFromStatus: "waiting", pausedByLabel: "step:z", pauseKind: "programmatic" });

    const [gate] = await t.db.select().from(gates).where(and(eq(gates.instanceId, inst.id), eq(gates.stepKey, "y")));
    const decided = await approveGate(t.db, { gateId: gate!.id, comment: "release looks fine" }, approver);
    expect(decided.outcome).toBe("approved");
    // Still held by the step: the approval takes effect on resume.
    expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pausedFromStatus: "running", pausedByLabel: "step:z" });
    expect(await startedRuns(inst.id, "after")).toEqual([]);
    expect(await startedRuns(inst.id, "y")).toEqual([]);

    await resumeInstance(t.db, { instanceId: inst.id, reason: "Replica caught up" }, operator);
    await untilStatus(inst.id, "completed");
    expect(await observationsOf(t.db, inst.id)).toEqual(expect.arrayContaining(["after:started", "y:started"]));
  });
});

describe("a checkpoint reached together with a gate", () => {
  it("pauses the instance at the checkpoint even though the gate made it wait first; approval does not run the checkpointed step", async () => {
    const inst = await start("t-checkpoint-gate");
    const checkpoint = await untilHistory(inst.id, "paused", "engine");
    expect(checkpoint).toMatchObject({ fromStatus: "waiting", toStatus: "paused", details: expect.objectContaining({ kind: "checkpoint" }) });
    expect(checkpoint.reason).toMatch(/^Review point before step "c"/);
    expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pausedFromStatus: "waiting", pauseKind: "checkpoint" });

    const [gate] = await t.db.select().from(gates).where(and(eq(gates.instanceId, inst.id), eq(gates.stepKey, "y")));
    await approveGate(t.db, { gateId: gate!.id, comment: "go" }, approver);
    expect((await instanceRow(inst.id)).status).toBe("paused");
    expect(await startedRuns(inst.id, "c")).toEqual([]);

    await resumeInstance(t.db, { instanceId: inst.id, reason: "Reviewed" }, operator);
    await untilStatus(inst.id, "completed");
    // Reached once: the resume lets c run and does not stop at its checkpoint again.
    expect((await runsOf(inst.id)).filter((r) => r.stepKey === "c").map((r) => r.status)).toEqual(["completed"]);
  });
});
