/**
 * Settling from known state: the one-round-trip path must never act on a stale picture. Driven
 * in-process (claim, settle, command) so each race can be placed exactly.
 */
import { and, asc, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { instances, stepRuns, type Instance } from "@/db/schema";
import { claimRuns } from "@/engine/sql/claim-runs";
import { Definitions } from "@/engine/definitions";
import type { StepOutcome } from "@/lib/instances/lifecycle/plan";
import { settleOutcomes, type KnownStates } from "@/engine/settle";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { catalog } from "../support/test-catalog";
import { prepareEngineDatabase } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const definitions = new Definitions(catalog);
await definitions.load(t.db);
const conn = { db: t.db, sql: t.sql };
const specsOf = (instance: Instance) => definitions.known(instance.definitionId)?.specs;
const operator = { id: null, label: "operator" };
const WORKER = "w-settle";
const options = { startLimit: 1, leaseMs: 30_000 };

const completed = (run: { id: string; instanceId: string; stepKey: string; attempt: number }, patch: Record<string, unknown> = {}): StepOutcome => ({
  kind: "completed",
  runId: run.id,
  instanceId: run.instanceId,
  stepKey: run.stepKey,
  attempt: run.attempt,
  output: { step: run.stepKey },
  contextPatch: patch,
  pauseReason: null,
});
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt));
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;

/** A t-chain instance whose step `a` this worker settled, so `b` runs under it and it knows the instance. */
async function atStepB(known: KnownStates) {
  const inst = await startInstance(t.db, { workflow: "t-chain" }, operator, { catalog });
  const [a] = await claimRuns(t.sql, { workerId: WORKER, limit: 1, leaseMs: 30_000, definitionIds: definitions.ids() });
  expect(a).toMatchObject({ instanceId: inst.id, stepKey: "a" });
  const first = await settleOutcomes(conn, WORKER, [completed(a!, { a: 1 })], specsOf, options, known);
  expect(first.fromKnown).toBe(0);
  const [b] = first.started;
  expect(b).toMatchObject({ instanceId: inst.id, stepKey: "b", context: { a: 1 } });
  expect(known.has(inst.id)).toBe(true);
  return { inst, b: b! };
}

it("settles the next step from what it knows in one statement, with the same result as the read path", async () => {
  const known: KnownStates = new Map();
  const { inst, b } = await atStepB(known);
  const second = await settleOutcomes(conn, WORKER, [completed(b, { b: 2 })], specsOf, options, known);
  expect(second).toMatchObject({ fromKnown: 1, settled: 1, discarded: 0 });
  expect(second.started).toEqual([expect.objectContaining({ stepKey: "c", context: { a: 1, b: 2 } })]);
  const c = second.started[0]!;
  const third = await settleOutcomes(conn, WORKER, [completed(c, { c: 3 })], specsOf, options, known);
  expect(third.fromKnown).toBe(1);
  expect(known.has(inst.id)).toBe(false);
  const row = await instanceRow(inst.id);
  expect(row).toMatchObject({ status: "completed", context: { a: 1, b: 2, c: 3 }, currentSteps: [] });
  expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "completed"], ["c", "completed"]]);
});

it("a graceful pause since moves the row version: the result is kept, the next step only queued, the pause drains", async () => {
  const known: KnownStates = new Map();
  const { inst, b } = await atStepB(known);
  await pauseInstance(t.db, { instanceId: inst.id, reason: "Maintenance window", mode: "graceful" }, operator);
  const settled = await settleOutcomes(conn, WORKER, [completed(b, { b: 2 })], specsOf, { startLimit: 5, leaseMs: 30_000 }, known);
  expect(settled).toMatchObject({ fromKnown: 0, settled: 1, started: [], drained: [inst.id] });
  // Queued for the resume, not started: the claim skips a paused instance.
  expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status, r.startedAt])).toEqual([["a", "completed", expect.any(Date)], ["b", "completed", expect.any(Date)], ["c", "pending", null]]);
  expect(await instanceRow(inst.id)).toMatchObject({ status: "paused", context: { a: 1, b: 2 } });
});

it("an immediate pause since: the interrupted run's result is discarded", async () => {
  const known: KnownStates = new Map();
  const { inst, b } = await atStepB(known);
  await pauseInstance(t.db, { instanceId: inst.id, reason: "Stop now", mode: "immediate" }, operator);
  const settled = await settleOutcomes(conn, WORKER, [completed(b, { b: 2 })], specsOf, options, known);
  expect(settled).toMatchObject({ fromKnown: 0, settled: 0, discarded: 1, started: [] });
  expect((await instanceRow(inst.id)).context).toEqual({ a: 1 });
  expect(await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "c")))).toEqual([]);
});

it("a run taken over without the row changing (a lease reclaimed): the statement undoes itself and the read path discards the result", async () => {
  const known: KnownStates = new Map();
  const { inst, b } = await atStepB(known);
  const versionBefore = await t.sql`select xmin::text as v from instances where id = ${inst.id}`;
  await t.db.update(stepRuns).set({ status: "interrupted", finishedAt: new Date(), error: "Lease expired" }).where(eq(stepRuns.id, b.id));
  expect(await t.sql`select xmin::text as v from instances where id = ${inst.id}`).toEqual(versionBefore);
  const settled = await settleOutcomes(conn, WORKER, [completed(b, { b: 2 })], specsOf, options, known);
  expect(settled).toMatchObject({ fromKnown: 0, settled: 0, discarded: 1, started: [] });
  // Nothing of the guess survived: no successor, no context change, the run still interrupted.
  expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "interrupted"]]);
  expect((await instanceRow(inst.id)).context).toEqual({ a: 1 });
});

it("when the read path fails, what the one-round-trip path recorded stands and its started runs are handed back", async () => {
  const known: KnownStates = new Map();
  const a = await atStepB(known);
  const b = await atStepB(new Map()); // not known to this call: it goes the read path
  const failing = (instance: Instance) => {
    if (instance.id === b.inst.id) throw new Error("no code for this definition");
    return specsOf(instance);
  };
  const settled = await settleOutcomes(conn, WORKER, [completed(a.b), completed(b.b)], failing, { startLimit: 2, leaseMs: 30_000 }, known);
  expect(settled.failure).toBeInstanceOf(Error);
  expect(settled).toMatchObject({ fromKnown: 1, settled: 1 });
  expect(settled.started).toEqual([expect.objectContaining({ instanceId: a.inst.id, stepKey: "c" })]);
  // B's run is left running under this worker: its lease expires and it runs again.
  expect((await runsOf(b.inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "running"]]);
});

it("forgets an instance once none of its runs is in flight here: the map stays as small as the worker's concurrency", async () => {
  const known: KnownStates = new Map();
  const { inst, b } = await atStepB(known);
  // No free slot: the next step is only queued, for any worker to claim.
  const settled = await settleOutcomes(conn, WORKER, [completed(b)], specsOf, { startLimit: 0, leaseMs: 30_000 }, known);
  expect(settled).toMatchObject({ fromKnown: 1, started: [] });
  expect(known.has(inst.id)).toBe(false);
  expect((await runsOf(inst.id)).map((r) => [r.stepKey, r.status])).toEqual([["a", "completed"], ["b", "completed"], ["c", "pending"]]);
});
