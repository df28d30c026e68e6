/**
 * A step's pause request through both settle paths (engine/settle.ts), driven in-process like
 * engine-settle.test.ts so each interleaving is placed exactly: the one-round-trip path (the
 * worker's known state, made stale by a command) and the two-round-trip read path.
 */
import { and, asc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { gates, history, instances, stepRuns, type Instance } from "@/db/schema";
import { claimRuns, type ClaimedRun } from "@/engine/sql/claim-runs";
import { Definitions } from "@/engine/definitions";
import type { StepOutcome } from "@/lib/instances/lifecycle/plan";
import { settleOutcomes, type KnownStates } from "@/engine/settle";
import { approveGate } from "@/lib/gates/decide-gate";
import { cancelInstance } from "@/lib/instances/cancel-instance";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { prepareEngineDatabase } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const definitions = new Definitions(catalog);
await definitions.load(t.db);
const conn = { db: t.db, sql: t.sql };
const specsOf = (instance: Instance) => definitions.known(instance.definitionId)?.specs;
const operator = { id: null, label: "operator" };
const approver = await createUser(t.db, "approver");
const WORKER = "w-step-pause";
const options = { startLimit: 1, leaseMs: 30_000 };

const completed = (run: ClaimedRun, pauseReason: string | null = null, patch: Record<string, unknown> = {}): StepOutcome => ({
  kind: "completed",
  runId: run.id,
  instanceId: run.instanceId,
  stepKey: run.stepKey,
  attempt: run.attempt,
  output: { step: run.stepKey },
  contextPatch: patch,
  pauseReason,
});
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt));
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const historyOf = (id: string) => t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq);
const rowsBy = async (id: string, action: string, actorLabel: string) => (await historyOf(id)).filter((h) => h.action === action && h.actorLabel === actorLabel);
const eventsOf = (id: string) => t.sql<{ type: string }[]>`select type from events where instance_id = ${id} order by id`;
const claim = async (instanceId: string, stepKey: string) => {
  const runs = await claimRuns(t.sql, { workerId: WORKER, limit: 10, leaseMs: 30_000, definitionIds: definitions.ids() });
  const run = runs.find((r) => r.instanceId === instanceId && r.stepKey === stepKey);
  expect(run, `${stepKey} claimed`).toBeDefined();
  return run!;
};

/** A t-chain instance whose step `a` this worker settled, so `b` runs under it and it knows the instance. */
async function atStepB(known: KnownStates) {
  const inst = await startInstance(t.db, { workflow: "t-chain" }, operator, { catalog });
  const a = await claim(inst.id, "a");
  const first = await settleOutcomes(conn, WORKER, [completed(a)], specsOf, options, known);
  const [b] = first.started;
  expect(b).toMatchObject({ instanceId: inst.id, stepKey: "b" });
  expect(known.has(inst.id)).toBe(true);
  return { inst, b: b! };
}

it("one-round-trip path: the worker knew the instance running, an operator paused it since; the step's request is recorded and held", async () => {
  const known: KnownStates = new Map();
  const { inst, b } = await atStepB(known);
  const byOperator = await pauseInstance(t.db, { instanceId: inst.id, reason: "Nightly maintenance", mode: "graceful", category: "maintenance" }, operator);
  const settled = await settleOutcomes(conn, WORKER, [completed(b, "Replication lag 45s", { b: 2 })], specsOf, { startLimit: 5, leaseMs: 30_000 }, known);
  expect(settled).toMatchObject({ fromKnown: 0, settled: 1, discarded: 0, started: [], drained: [inst.id] });

  const [request, ...more] = await rowsBy(inst.id, "paused", "step:b");
  expect(more).toEqual([]);
  expect(request).toMatchObject({
    reason: "Replication lag 45s",
    fromStatus: "paused",
    toStatus: "paused",
    details: expect.objectContaining({ kind: "programmatic", requestedWhilePaused: true, heldBy: expect.objectContaining({ label: "operator", kind: "manual", reason: "Nightly maintenance", category: "maintenance" }) }),
  });
  const row = await instanceRow(inst.id);
  expect(row).toMatchObject({ status: "paused", pausedByLabel: "step:b", pauseReason: "Replication lag 45s", pauseKind: "programmatic", pauseCategory: null, context: { b: 2 } });
  expect(row.pausedAt).toEqual(byOperator.pausedAt);
  expect(row.version).toBe(byOperator.version + 1);
  // The pause event went out with the history row, in the settle's transaction.
  expect((await eventsOf(inst.id)).filter((e) => e.type === "workflow.instance.paused")).toHaveLength(2);
  // c is queued for the resume, not started.
  expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "completed"], ["c", "pending"]]);

  const resumed = await resumeInstance(t.db, { instanceId: inst.id }, operator);
  expect(resumed.status).toBe("running");
});

it("one-round-trip path, nothing changed since: the running instance pauses as the step asked (graceful, programmatic)", async () => {
  const known: KnownStates = new Map();
  const { inst, b } = await atStepB(known);
  const settled = await settleOutcomes(conn, WORKER, [completed(b, "High system load detected")], specsOf, { startLimit: 5, leaseMs: 30_000 }, known);
  expect(settled).toMatchObject({ settled: 1, started: [], drained: [inst.id] });
  expect(await rowsBy(inst.id, "paused", "step:b")).toEqual([expect.objectContaining({ fromStatus: "running", toStatus: "paused", reason: "High system load detected" })]);
  expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pausedFromStatus: "running", pauseKind: "programmatic", pauseMode: "graceful" });
});

it("read path: a scheduled pause drains; the step's request replaces its resume time, so the schedule does not lift it", async () => {
  const inst = await startInstance(t.db, { workflow: "t-chain" }, operator, { catalog });
  const a = await claim(inst.id, "a");
  const resumeAt = new Date(Date.now() + 3_600_000);
  await pauseInstance(t.db, { instanceId: inst.id, reason: "Overnight", resumeAt: resumeAt.toISOString() }, operator);
  expect((await instanceRow(inst.id)).resumeAt).toEqual(resumeAt);
  const settled = await settleOutcomes(conn, WORKER, [completed(a, "Replication lag 45s")], specsOf, options, new Map());
  expect(settled).toMatchObject({ fromKnown: 0, settled: 1, drained: [inst.id] });
  expect(await rowsBy(inst.id, "paused", "step:a")).toEqual([
    expect.objectContaining({ fromStatus: "paused", toStatus: "paused", details: expect.objectContaining({ heldBy: expect.objectContaining({ kind: "scheduled", resumeAt: resumeAt.toISOString() }) }) }),
  ]);
  expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pauseKind: "programmatic", pausedByLabel: "step:a", resumeAt: null });
});

it("read path: a step beside a gate asks while the instance waits; it pauses from waiting and the approval keeps it paused", async () => {
  const inst = await startInstance(t.db, { workflow: "t-step-pause-gate" }, operator, { catalog });
  const claimed = await claimRuns(t.sql, { workerId: WORKER, limit: 10, leaseMs: 30_000, definitionIds: definitions.ids() });
  const x = claimed.find((r) => r.instanceId === inst.id && r.stepKey === "x")!;
  const z = claimed.find((r) => r.instanceId === inst.id && r.stepKey === "z")!;
  await settleOutcomes(conn, WORKER, [completed(x)], specsOf, options, new Map());
  expect((await instanceRow(inst.id)).status).toBe("waiting");

  const settled = await settleOutcomes(conn, WORKER, [completed(z, "Replica behind")], specsOf, { startLimit: 5, leaseMs: 30_000 }, new Map());
  expect(settled).toMatchObject({ settled: 1, started: [], drained: [inst.id] });
  expect(await rowsBy(inst.id, "paused", "step:z")).toEqual([expect.objectContaining({ fromStatus: "waiting", toStatus: "paused" })]);
  expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pausedFromStatus: "waiting", pausedByLabel: "step:z" });

  const [gate] = await t.db.select().from(gates).where(and(eq(gates.instanceId, inst.id), eq(gates.stepKey, "y")));
  await approveGate(t.db, { gateId: gate!.id, comment: "ok" }, approver);
  expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pausedFromStatus: "running" });
  // Nothing can be claimed while it is held.
  expect((await claimRuns(t.sql, { workerId: WORKER, limit: 10, leaseMs: 30_000, definitionIds: definitions.ids() })).filter((r) => r.instanceId === inst.id)).toEqual([]);
  await resumeInstance(t.db, { instanceId: inst.id }, operator);
  const after = await claimRuns(t.sql, { workerId: WORKER, limit: 10, leaseMs: 30_000, definitionIds: definitions.ids() });
  expect(after.filter((r) => r.instanceId === inst.id).map((r) => r.stepKey).sort()).toEqual(["after", "y"]);
});

it("read path: a step whose successor is gated asks to pause; the instance waits at the gate and is paused from there", async () => {
  const inst = await startInstance(t.db, { workflow: "t-gated" }, operator, { catalog });
  const build = await claim(inst.id, "build");
  await settleOutcomes(conn, WORKER, [completed(build, "Artifacts look odd; check before deploying")], specsOf, options, new Map());
  const actions = (await historyOf(inst.id)).map((h) => [h.action, h.actorLabel, h.fromStatus, h.toStatus]);
  expect(actions).toEqual(expect.arrayContaining([["waiting", "engine", "running", "waiting"], ["paused", "step:build", "waiting", "paused"]]));
  expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pausedFromStatus: "waiting", pausedByLabel: "step:build" });
});

it("read path: a checkpoint reached while an operator's pause drains is recorded and held, like a step's request", async () => {
  const inst = await startInstance(t.db, { workflow: "t-checkpoint" }, operator, { catalog });
  const generate = await claim(inst.id, "generate");
  await pauseInstance(t.db, { instanceId: inst.id, reason: "Freeze", mode: "graceful" }, operator);
  const settled = await settleOutcomes(conn, WORKER, [completed(generate)], specsOf, options, new Map());
  expect(settled).toMatchObject({ settled: 1, drained: [inst.id] });
  const [reached] = await rowsBy(inst.id, "paused", "engine");
  expect(reached).toMatchObject({ fromStatus: "paused", toStatus: "paused", details: expect.objectContaining({ kind: "checkpoint", requestedWhilePaused: true }) });
  expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", pauseKind: "checkpoint", currentSteps: ["apply"] });
  expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["generate", "completed"], ["apply", "pending"]]);
});

it("an instance cancelled while the step ran: its result and its request are discarded, nothing recorded for it", async () => {
  const inst = await startInstance(t.db, { workflow: "t-chain" }, operator, { catalog });
  const a = await claim(inst.id, "a");
  await cancelInstance(t.db, { instanceId: inst.id, reason: "Not needed" }, operator);
  const settled = await settleOutcomes(conn, WORKER, [completed(a, "Replication lag 45s")], specsOf, options, new Map());
  expect(settled).toMatchObject({ settled: 0, discarded: 1 });
  expect(await rowsBy(inst.id, "paused", "step:a")).toEqual([]);
  expect((await instanceRow(inst.id)).status).toBe("cancelled");
});
