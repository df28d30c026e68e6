/**
 * Every way an instance ends leaves it the same: no live step run, no pending gate, no hold
 * (pause fields, scheduled resume, hook lease), one history row and one event for the ending.
 * Driven in-process (runs started and settled by hand, commands called directly) so each
 * ending is reached from exactly the state the case names; no worker process runs here.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { and, asc, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, gateDecisions, gates, history, instances, stepRuns, type Instance, type InstanceStatus, type StepSpec } from "@/db/schema";
import { applyPlan, runsOf as lockedRunsOf } from "@/lib/instances/lifecycle/advance";
import { Definitions } from "@/engine/definitions";
import { planAdvance, type StepOutcome } from "@/lib/instances/lifecycle/plan";
import { settleOutcomes } from "@/engine/settle";
import { AppError } from "@/lib/errors";
import { approveGate, rejectGate } from "@/lib/gates/decide-gate";
import { requestGate } from "@/lib/gates/request-gate";
import { sweepGates } from "@/lib/gates/sweep-gates";
import { cancelInstance } from "@/lib/instances/cancel-instance";
import { endedColumns } from "@/lib/instances/end-instance";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { timeOutDueInstances } from "@/lib/instances/time-out-instances";
import { freshDatabase } from "../support/db";
import { actor, createDefinition, createInstance, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { prepareEngineDatabase } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const definitions = new Definitions(catalog);
await definitions.load(t.db);
const conn = { db: t.db, sql: t.sql };
const specsOf = (instance: Instance) => definitions.known(instance.definitionId)?.specs;
const WORKER = "w-end-instance";
const operatorUser = await createUser(t.db, "operator");
const operator = actor(operatorUser);
const approver = await createUser(t.db, "approver");

const endings = ["completed", "failed", "cancelled", "timed_out"] as const;
type Ending = (typeof endings)[number];

const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt));
const gatesOf = (id: string) => t.db.select().from(gates).where(eq(gates.instanceId, id));
const historyOf = (id: string) => t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq);
const eventsOf = (id: string) => t.db.select().from(events).where(eq(events.instanceId, id)).orderBy(events.id);
const inAnHour = () => new Date(Date.now() + 3_600_000);

/** Starts the pending run of a step under this test's worker id, as a claim would. */
async function startRun(instanceId: string, stepKey: string) {
  const [run] = await t.db
    .update(stepRuns)
    .set({ status: "running", workerId: WORKER, startedAt: new Date(), heartbeatAt: new Date(), leaseExpiresAt: new Date(Date.now() + 30_000) })
    .where(and(eq(stepRuns.instanceId, instanceId), eq(stepRuns.stepKey, stepKey), eq(stepRuns.status, "pending")))
    .returning();
  expect(run, `a pending run of ${stepKey}`).toBeDefined();
  return run!;
}

const completedOutcome = (run: { id: string; instanceId: string; stepKey: string; attempt: number }, patch: Record<string, unknown> = {}): StepOutcome => ({
  kind: "completed", runId: run.id, instanceId: run.instanceId, stepKey: run.stepKey, attempt: run.attempt, output: { step: run.stepKey }, contextPatch: patch, pauseReason: null,
});
const failedOutcome = (run: { id: string; instanceId: string; stepKey: string; attempt: number }, error: string): StepOutcome => ({
  kind: "failed", runId: run.id, instanceId: run.instanceId, stepKey: run.stepKey, attempt: run.attempt, error, maxAttempts: run.attempt, backoffMs: 10,
});

/** Runs a step to completion through the worker's settle path. */
async function runStep(instanceId: string, stepKey: string, patch: Record<string, unknown> = {}) {
  const run = await startRun(instanceId, stepKey);
  const settled = await settleOutcomes(conn, WORKER, [completedOutcome(run, patch)], specsOf, { startLimit: 0, leaseMs: 30_000 });
  expect(settled).toMatchObject({ settled: 1, discarded: 0 });
}

const start = (workflow: string, input?: unknown) => startInstance(t.db, { workflow, input }, operator, { catalog });

/**
 * An instance waiting at two gates ("one" before b, "two" before c) while a side branch's step
 * is still running: an ending has a gate to withdraw and a run to stop whatever decides it.
 */
async function waitingAtTwoGates(gateOne: Partial<NonNullable<StepSpec["gate"]>> = {}) {
  const steps: StepSpec[] = [
    { key: "a", name: "A", dependsOn: [] },
    { key: "side", name: "Side branch", dependsOn: [] },
    { key: "b", name: "B", dependsOn: ["a"], gate: { stage: "one", approverRole: "approver", ...gateOne } },
    { key: "c", name: "C", dependsOn: ["a"], gate: { stage: "two", approverRole: "approver" } },
  ];
  const def = await createDefinition(t.db, { steps });
  const inst = await createInstance(t.db, { status: "waiting", definitionId: def.id, workflowKey: def.key, runningSteps: ["side"], startedBy: operator });
  await t.db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "a", status: "completed", finishedAt: new Date() });
  const opened = await t.db.transaction(async (tx) => [await requestGate(tx, inst, { ...steps[2]!, gate: steps[2]!.gate! }), await requestGate(tx, inst, { ...steps[3]!, gate: steps[3]!.gate! })]);
  await t.db.update(instances).set({ currentSteps: ["side", "b", "c"] }).where(eq(instances.id, inst.id));
  return { instance: inst, one: opened[0]!, two: opened[1]! };
}

/** An operator's pause with a scheduled resume: every hold field set. */
const holdUntilLater = (instanceId: string) =>
  pauseInstance(t.db, { instanceId, reason: "Change freeze", mode: "graceful", resumeAt: inAnHour(), category: "maintenance", ticketUrl: "https://tracker.example.com/OPS-1" }, operator);

/** A worker's onPause hook in flight on the instance (its lease taken). */
const hookInFlight = (instanceId: string) =>
  t.db.update(instances).set({ resources: "releasing", hookWorkerId: "w-hooks", hookLeaseExpiresAt: inAnHour() }).where(eq(instances.id, instanceId));

const holdFields = ["pausedAt", "pausedById", "pausedByLabel", "pauseReason", "pauseCategory", "pauseTicketUrl", "pauseMode", "pauseKind", "pausedFromStatus", "resumeAt", "hookWorkerId", "hookLeaseExpiresAt"] as const;

/** The invariants every ending must leave, checked by what rows are, never by their position. */
async function expectEnded(id: string, ending: Ending) {
  const row = await instanceRow(id);
  expect(row.status).toBe(ending);
  expect(row.finishedAt).not.toBeNull();
  expect(row.currentSteps).toEqual([]);
  for (const field of holdFields) expect(row[field], `${field} of a ${ending} instance`).toBeNull();

  const live = (await runsOf(id)).filter((r) => r.status === "pending" || r.status === "running");
  expect(live, "live step runs").toEqual([]);
  expect((await runsOf(id)).filter((r) => r.leaseExpiresAt !== null), "step runs still leased").toEqual([]);

  const instanceGates = await gatesOf(id);
  expect(instanceGates.filter((g) => g.status === "pending"), "pending gates").toEqual([]);
  const rows = await historyOf(id);
  const withdrawn = instanceGates.filter((g) => g.status === "withdrawn").map((g) => g.id).sort();
  expect(rows.filter((h) => h.action === "gate_withdrawn").map((h) => String(h.details.gateId)).sort()).toEqual(withdrawn);

  const endRows = rows.filter((h) => (endings as readonly string[]).includes(h.action));
  expect(endRows.map((h) => [h.action, h.toStatus]), "the ending's history rows").toEqual([[ending, ending]]);
  const endEvents = (await eventsOf(id)).filter((e) => endings.some((x) => e.type === `workflow.instance.${x}`));
  expect(endEvents.map((e) => e.type), "the ending's events").toEqual([`workflow.instance.${ending}`]);
  const payload = endEvents[0]!.payload as Record<string, unknown>;
  expect(payload).toMatchObject({ id, status: ending, currentSteps: [] });
  for (const field of holdFields) expect(payload[field], `${field} in the ${ending} event`).toBeNull();
  return row;
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

type Case = { name: string; ending: Ending; arrange: () => Promise<{ id: string; act: () => Promise<unknown> }> };

const cases: Case[] = [
  {
    name: "complete: the last step's result, settled in a batch",
    ending: "completed",
    arrange: async () => {
      const inst = await start("t-chain");
      await runStep(inst.id, "a");
      await runStep(inst.id, "b");
      return { id: inst.id, act: () => runStep(inst.id, "c") };
    },
  },
  {
    name: "fail by a step: a branch fails beside a pending gate",
    ending: "failed",
    arrange: async () => {
      const inst = await start("t-branch-gate");
      const boom = await startRun(inst.id, "boom");
      await runStep(inst.id, "quick");
      expect((await gatesOf(inst.id)).map((g) => g.status)).toEqual(["pending"]);
      return { id: inst.id, act: () => settleOutcomes(conn, WORKER, [failedOutcome(boom, "disk full")], specsOf) };
    },
  },
  {
    name: "fail by a step: the step a graceful pause (with a scheduled resume) drains fails",
    ending: "failed",
    arrange: async () => {
      const inst = await start("t-chain");
      const a = await startRun(inst.id, "a");
      await holdUntilLater(inst.id);
      return { id: inst.id, act: () => settleOutcomes(conn, WORKER, [failedOutcome(a, "upstream 503")], specsOf) };
    },
  },
  {
    name: "fail at a gate: rejected while an operator holds the instance paused",
    ending: "failed",
    arrange: async () => {
      const { instance, one } = await waitingAtTwoGates();
      await holdUntilLater(instance.id);
      await hookInFlight(instance.id);
      return { id: instance.id, act: () => rejectGate(t.db, { gateId: one.id, comment: "error rate doubled" }, approver) };
    },
  },
  {
    name: "fail at a gate: it expires while the instance is paused",
    ending: "failed",
    arrange: async () => {
      const { instance } = await waitingAtTwoGates({ expiresAfterMs: 60_000 });
      await holdUntilLater(instance.id);
      return { id: instance.id, act: () => sweepGates(t.db, new Date(Date.now() + 120_000)) };
    },
  },
  {
    name: "cancel: a paused instance with a scheduled resume and its onPause hook in flight",
    ending: "cancelled",
    arrange: async () => {
      const { instance } = await waitingAtTwoGates();
      await holdUntilLater(instance.id);
      await hookInFlight(instance.id);
      return { id: instance.id, act: () => cancelInstance(t.db, { instanceId: instance.id, reason: "Superseded" }, operator) };
    },
  },
  {
    name: "time out: waiting at its gates past the deadline",
    ending: "timed_out",
    arrange: async () => {
      const { instance } = await waitingAtTwoGates();
      await t.db.execute(sql`update instances set due_at = now() - interval '1 minute' where id = ${instance.id}`);
      return { id: instance.id, act: () => timeOutDueInstances(t.db) };
    },
  },
];

describe("every ending leaves the same invariants", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { id, act } = await c.arrange();
      const before = await instanceRow(id);
      await act();
      const ended = await expectEnded(id, c.ending);
      expect(ended.version).toBeGreaterThan(before.version);
      // Nothing can be signed on an ended instance, nor start a step in it.
      const runsBefore = (await runsOf(id)).length;
      for (const gate of (await gatesOf(id)).filter((g) => g.status === "withdrawn")) {
        expect((await refusal(approveGate(t.db, { gateId: gate.id }, approver))).code).toBe("conflict");
      }
      expect((await runsOf(id)).length).toBe(runsBefore);
    });
  }
});

describe("the batch completion and the one-instance ending cannot drift", () => {
  // Columns an ending keeps as they were; every other nullable column is one it must clear,
  // so a column added later has to be placed in one list or the other.
  // queuedAt and queueExpiresAt say when a start waited behind a paused workflow (and its
  // time-to-live): a record of how it began, not something holding it, so an ending keeps them.
  const kept = ["startedById", "dueAt", "finishedAt", "queuedAt", "queueExpiresAt"];
  const stale = {
    pausedAt: new Date("2026-01-01T00:00:00Z"),
    pausedById: operatorUser.id,
    pausedByLabel: operator.label,
    pauseReason: "stale hold",
    pauseCategory: "maintenance" as const,
    pauseTicketUrl: "https://tracker.example.com/OPS-2",
    pauseMode: "graceful" as const,
    pauseKind: "scheduled" as const,
    pausedFromStatus: "running" as InstanceStatus,
    resumeAt: new Date("2026-01-02T00:00:00Z"),
    hookWorkerId: "w-hooks",
    hookLeaseExpiresAt: new Date("2026-01-03T00:00:00Z"),
    error: "stale error",
  };

  it("names every nullable column of instances as kept or cleared", () => {
    const nullable = Object.entries(getTableColumns(instances)).filter(([, c]) => !c.notNull).map(([k]) => k).sort();
    expect(nullable).toEqual([...kept, ...Object.keys(stale)].sort());
  });

  it("a completion written by the settle statement equals one written by applyPlan, column by column", async () => {
    const [viaBatch, viaApply] = [await start("t-chain"), await start("t-chain")];
    for (const inst of [viaBatch, viaApply]) {
      await runStep(inst.id, "a", { a: 1 });
      await runStep(inst.id, "b", { b: 2 });
      // State no command can leave on a running instance, so that both paths have to clear it.
      await t.db.update(instances).set(stale).where(eq(instances.id, inst.id));
    }
    await runStep(viaBatch.id, "c", { c: 3 });
    const c = await startRun(viaApply.id, "c");
    await t.db.transaction(async (tx) => {
      const [locked] = await tx.select().from(instances).where(eq(instances.id, viaApply.id)).for("update");
      const specs = specsOf(locked!)!;
      const runs = await lockedRunsOf(tx, [viaApply.id]);
      const plan = planAdvance(locked!, specs, runs, [completedOutcome(c, { c: 3 })]);
      expect(plan.complete).toBe(true);
      await applyPlan(tx, locked!, specs, plan, "exclusive");
    });

    const differs = ["id", "createdAt", "updatedAt", "finishedAt"];
    const comparable = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([k]) => !differs.includes(k)));
    const [a, b] = [await expectEnded(viaBatch.id, "completed"), await expectEnded(viaApply.id, "completed")];
    expect(comparable(a)).toEqual(comparable(b));

    const ending = async (id: string) => (await historyOf(id)).find((h) => h.action === "completed")!;
    const pick = (h: Awaited<ReturnType<typeof ending>>) => ({ action: h.action, actorId: h.actorId, actorLabel: h.actorLabel, reason: h.reason, fromStatus: h.fromStatus, toStatus: h.toStatus, details: h.details });
    expect(pick(await ending(viaBatch.id))).toEqual(pick(await ending(viaApply.id)));

    const event = async (id: string) => (await eventsOf(id)).find((e) => e.type === "workflow.instance.completed")!;
    const payload = async (id: string) => comparable((await event(id)).payload as Record<string, unknown>);
    expect(await payload(viaBatch.id)).toEqual(await payload(viaApply.id));
    // The payload is the row as the ending left it.
    expect(await payload(viaBatch.id)).toEqual(comparable(JSON.parse(JSON.stringify(a)) as Record<string, unknown>));
  });
});

it("approving a withdrawn gate writes nothing", async () => {
  const { instance, one } = await waitingAtTwoGates();
  await cancelInstance(t.db, { instanceId: instance.id, reason: "No longer needed" }, operator);
  const runs = await runsOf(instance.id);
  expect(await refusal(approveGate(t.db, { gateId: one.id }, approver))).toMatchObject({ code: "conflict", message: expect.stringMatching(/withdrawn/) });
  expect(await runsOf(instance.id)).toEqual(runs);
  expect((await t.db.select().from(gates).where(inArray(gates.id, [one.id])))[0]!.status).toBe("withdrawn");
});

it("the migration clears the hold an instance kept when it ended before endInstance, as endInstance would", async () => {
  const folder = path.resolve(import.meta.dirname, "../../db/migrations");
  const file = readdirSync(folder).find((f) => f.endsWith("_ended_instances_hold_cleared.sql"))!;
  const stale = await createInstance(t.db, { status: "failed" });
  const live = await createInstance(t.db, { status: "paused" });
  const hold = { pausedAt: new Date(), pausedById: operatorUser.id, pausedByLabel: operator.label, pauseReason: "freeze", pauseCategory: "maintenance" as const, pauseTicketUrl: "https://tracker.example.com/OPS-3", pauseMode: "graceful" as const, pauseKind: "scheduled" as const, pausedFromStatus: "running" as const, resumeAt: inAnHour(), hookWorkerId: "w", hookLeaseExpiresAt: inAnHour() };
  await t.db.update(instances).set(hold).where(inArray(instances.id, [stale.id, live.id]));
  await t.db.execute(sql.raw(readFileSync(path.join(folder, file), "utf8")));
  const cleared = Object.entries(endedColumns("failed", new Date(), null)).filter(([, v]) => v === null).map(([k]) => k);
  const after = (await instanceRow(stale.id)) as Record<string, unknown>;
  for (const column of cleared.filter((c) => c !== "error")) expect(after[column], column).toBeNull();
  expect(await instanceRow(live.id)).toMatchObject({ status: "paused", pausedByLabel: operator.label, pauseReason: "freeze" });
});

it("a gate an instance left pending when it ended before endInstance cannot be signed, and the sweep withdraws it once due", async () => {
  const { instance, one, two } = await waitingAtTwoGates({ expiresAfterMs: 60_000, approvals: 2 });
  // As the old failure path left it: the instance failed, its gates still pending.
  await t.db.update(instances).set({ status: "failed", finishedAt: new Date() }).where(eq(instances.id, instance.id));
  const runs = await runsOf(instance.id);
  for (const gate of [one, two]) {
    expect(await refusal(approveGate(t.db, { gateId: gate.id }, approver))).toMatchObject({ code: "conflict", message: expect.stringContaining("has ended (failed)") });
  }
  expect(await runsOf(instance.id)).toEqual(runs);
  expect(await t.db.select().from(gateDecisions).where(inArray(gateDecisions.gateId, [one.id, two.id]))).toEqual([]);

  await sweepGates(t.db, new Date(Date.now() + 120_000));
  expect((await gatesOf(instance.id)).map((g) => g.status).sort()).toEqual(["withdrawn", "withdrawn"]);
  expect((await historyOf(instance.id)).filter((h) => h.action === "gate_withdrawn")).toHaveLength(2);
  expect((await historyOf(instance.id)).filter((h) => h.action === "gate_expired" || h.action === "failed")).toEqual([]);
});
