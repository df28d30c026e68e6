/**
 * DESIGN invariant 9: every clock of an instance (deadline, gate expiry, escalation, step
 * backoff) stops while the instance is fully paused and is moved on by exactly that long on
 * resume; a graceful drain is not paused. Sweeps take `now`, so most of this is deterministic:
 * a sweep "in the future" stands for time passing while the instance is held.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tx } from "@/db/client";
import { gateDecisions, gates, history, instances, stepRuns, type HistoryAction } from "@/db/schema";
import { approveGate } from "@/lib/gates/decide-gate";
import { sweepGates } from "@/lib/gates/sweep-gates";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { timeOutDueInstances } from "@/lib/instances/time-out-instances";
import { freshDatabase } from "../support/db";
import { actor, createGatedInstance, createInstance, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { observationsOf, prepareEngineDatabase, spawnWorker, waitFor, type WorkerProcess } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));
const alice = await createUser(t.db, "approver", { email: "alice@test.dev" });
await createUser(t.db, "approver", { email: "bob@test.dev" });

const HOUR = 3_600_000;
const later = (from: Date, ms: number) => new Date(from.getTime() + ms);
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const gateRow = async (id: string) => (await t.db.select().from(gates).where(eq(gates.id, id)))[0]!;
const runOf = async (instanceId: string, stepKey: string) =>
  (await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, instanceId), eq(stepRuns.stepKey, stepKey))).orderBy(asc(stepRuns.createdAt)));
const historyRow = async (instanceId: string, action: HistoryAction) =>
  (await t.db.select().from(history).where(and(eq(history.instanceId, instanceId), eq(history.action, action))));
/**
 * Pretend the pause began `ms` ago (the same trick as deadlines.test.ts): a long hold without
 * waiting for one. What happened before the pause (its gates requested, its runs queued) moves
 * back with it, or they would look set during the hold, and such clocks move less on resume.
 */
const pausedAgo = (id: string, ms: number) =>
  t.db.transaction(async (tx) => {
    const by = sql`${ms}::int * interval '1 millisecond'`;
    await tx.execute(sql`update gates set requested_at = requested_at - ${by} where instance_id = ${id}`);
    await tx.execute(sql`update step_runs set created_at = created_at - ${by} where instance_id = ${id}`);
    await tx.execute(sql`update instances set paused_at = paused_at - ${by} where id = ${id}`);
  });
const pause = (instanceId: string, mode: "graceful" | "immediate" = "graceful") => pauseInstance(t.db, { instanceId, reason: "change freeze", mode }, operator);
const resume = (instanceId: string) => resumeInstance(t.db, { instanceId, reason: "freeze over" }, operator);
/** What resume recorded about the clocks it moved. */
const resumeDetails = async (instanceId: string) => {
  const [row] = await historyRow(instanceId, "resumed");
  return row!.details as { pausedForMs: number; clockStoppedAt: string | null; clocksMovedByMs: number };
};

/**
 * Runs `sweep` while this test holds the instance row lock. Once the sweep is blocked on that
 * lock (it has read and decided), `meanwhile` changes things under the lock and commits: what a
 * sweep decided on no longer holds when it gets the lock, and it must see that (invariant 10).
 */
async function whileSweepWaits<T>(instanceId: string, sweep: () => Promise<T>, meanwhile: (tx: Tx) => Promise<void>): Promise<T> {
  let swept: Promise<T> | undefined;
  await t.db.transaction(async (tx) => {
    await tx.select({ id: instances.id }).from(instances).where(eq(instances.id, instanceId)).for("update");
    const [holder] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    const pid = holder!.pid;
    swept = sweep();
    swept.catch(() => {});
    await waitFor("the sweep to wait for the instance lock", async () => {
      const [row] = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where ${pid}::int = any(pg_blocking_pids(pid))`);
      return row!.n > 0;
    });
    await meanwhile(tx);
  });
  return swept!;
}

describe("gate clocks stop while the instance is fully paused", () => {
  it("expiry: an approval given during the hold is kept, the gate does not expire, and resume moves its expiry by the stopped time", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "production", approvals: 2, expiresAfterMs: HOUR });
    await pause(instance.id);
    expect(await approveGate(t.db, { gateId: gate.id, comment: "checked the canary" }, alice)).toMatchObject({ outcome: "recorded" });

    // Long past the original expiry, while still held: nothing expires, nothing fails.
    await sweepGates(t.db, later(gate.expiresAt!, 30_000));
    expect((await gateRow(gate.id)).status).toBe("pending");
    expect((await instanceRow(instance.id)).status).toBe("paused");
    expect(await historyRow(instance.id, "gate_expired")).toEqual([]);

    await pausedAgo(instance.id, 600_000);
    await resume(instance.id);
    const { clocksMovedByMs } = await resumeDetails(instance.id);
    expect(clocksMovedByMs).toBeGreaterThanOrEqual(600_000);
    const moved = await gateRow(gate.id);
    expect(moved.expiresAt!.getTime() - gate.expiresAt!.getTime()).toBe(clocksMovedByMs);
    const kept = await t.db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id));
    expect(kept.map((d) => [d.userLabel, d.decision])).toEqual([["alice@test.dev", "approve"]]);

    // The clock runs again after resume, from where it stopped.
    await sweepGates(t.db, later(gate.expiresAt!, 1000));
    expect((await gateRow(gate.id)).status).toBe("pending");
    await sweepGates(t.db, later(moved.expiresAt!, 1000));
    expect((await gateRow(gate.id)).status).toBe("expired");
  });

  it("escalation: no escalation during the hold; resume moves the escalation time by the stopped time", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "dba review", approvers: ["carol@test.dev"], escalateAfterMs: HOUR, escalateTo: ["bob@test.dev"] });
    await pause(instance.id);
    await sweepGates(t.db, later(gate.escalateAt!, 30_000));
    expect((await gateRow(gate.id)).escalatedAt).toBeNull();
    expect(await historyRow(instance.id, "gate_escalated")).toEqual([]);

    await pausedAgo(instance.id, 600_000);
    await resume(instance.id);
    const { clocksMovedByMs } = await resumeDetails(instance.id);
    const moved = await gateRow(gate.id);
    expect(clocksMovedByMs).toBeGreaterThanOrEqual(600_000);
    expect(moved.escalateAt!.getTime() - gate.escalateAt!.getTime()).toBe(clocksMovedByMs);

    await sweepGates(t.db, later(gate.escalateAt!, 1000));
    expect((await gateRow(gate.id)).escalatedAt).toBeNull();
    await sweepGates(t.db, later(moved.escalateAt!, 1000));
    expect((await gateRow(gate.id)).escalatedAt).not.toBeNull();
  });

  it("a gate of an instance that is still draining keeps its clock: draining is not paused", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "parallel branch", expiresAfterMs: HOUR });
    await t.db.insert(stepRuns).values({ instanceId: instance.id, stepKey: "a", status: "running", startedAt: new Date(), workerId: "test", leaseExpiresAt: later(new Date(), HOUR) });
    await pause(instance.id);
    await sweepGates(t.db, later(gate.expiresAt!, 1000));
    expect((await gateRow(gate.id)).status).toBe("expired");
    expect(await historyRow(instance.id, "gate_expired")).toHaveLength(1);
    // The expiry ends the instance; the ending's own row (endInstance) carries the status change.
    const [failed] = await historyRow(instance.id, "failed");
    expect(failed).toMatchObject({ fromStatus: "paused", toStatus: "failed" });
  });

  it("the expiry sweep re-checks under the lock: an instance that finished draining meanwhile keeps its gate", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "recheck", expiresAfterMs: HOUR });
    const [run] = await t.db.insert(stepRuns).values({ instanceId: instance.id, stepKey: "a", status: "running", startedAt: new Date(), workerId: "test", leaseExpiresAt: later(new Date(), HOUR) }).returning();
    await pause(instance.id);
    await whileSweepWaits(instance.id, () => sweepGates(t.db, later(gate.expiresAt!, 1000)), async (tx) => {
      // The last in-flight step finishes (as the engine's settle would): now fully paused.
      await tx.update(stepRuns).set({ status: "completed", finishedAt: sql`clock_timestamp()`, leaseExpiresAt: null }).where(eq(stepRuns.id, run!.id));
    });
    expect((await gateRow(gate.id)).status).toBe("pending");
    expect((await instanceRow(instance.id)).status).toBe("paused");
  });

  it("the escalation sweep re-checks under the lock: an instance that finished draining meanwhile is not escalated", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "escalation drain", approvers: ["carol@test.dev"], escalateAfterMs: HOUR, escalateTo: ["bob@test.dev"] });
    const [run] = await t.db.insert(stepRuns).values({ instanceId: instance.id, stepKey: "a", status: "running", startedAt: new Date(), workerId: "test", leaseExpiresAt: later(new Date(), HOUR) }).returning();
    await pause(instance.id);
    await whileSweepWaits(instance.id, () => sweepGates(t.db, later(gate.escalateAt!, 1000)), async (tx) => {
      await tx.update(stepRuns).set({ status: "completed", finishedAt: sql`clock_timestamp()`, leaseExpiresAt: null }).where(eq(stepRuns.id, run!.id));
    });
    expect((await gateRow(gate.id)).escalatedAt).toBeNull();
  });

  it("the escalation sweep re-checks the escalation time under the lock", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "escalation recheck", approvers: ["carol@test.dev"], escalateAfterMs: HOUR, escalateTo: ["bob@test.dev"] });
    await whileSweepWaits(instance.id, () => sweepGates(t.db, later(gate.escalateAt!, 1000)), async (tx) => {
      // Moved on meanwhile (as a resume after a long hold does).
      await tx.update(gates).set({ escalateAt: later(gate.escalateAt!, 2 * HOUR) }).where(eq(gates.id, gate.id));
    });
    expect((await gateRow(gate.id)).escalatedAt).toBeNull();
    expect(await historyRow(instance.id, "gate_escalated")).toEqual([]);
  });
});

describe("the deadline and step backoff", () => {
  it("resume while still draining moves no clock: they never stopped", async () => {
    const inst = await createInstance(t.db, { runningSteps: ["a"] });
    await t.db.execute(sql`update instances set due_at = now() + interval '1 hour' where id = ${inst.id}`);
    await pause(inst.id);
    await pausedAgo(inst.id, 600_000);
    const { dueAt: before } = await instanceRow(inst.id);
    const resumed = await resume(inst.id);
    expect(resumed.dueAt!.getTime()).toBe(before!.getTime());
    expect(await resumeDetails(inst.id)).toMatchObject({ clockStoppedAt: null, clocksMovedByMs: 0 });
  });

  it("a retry still in its backoff when the clocks stopped waits the rest of it after resume; a run already due is left alone", async () => {
    const inst = await createInstance(t.db, { pendingSteps: ["a", "b"] });
    await t.db.execute(sql`update step_runs set available_at = now() + interval '5 minutes' where instance_id = ${inst.id} and step_key = 'a'`);
    await t.db.execute(sql`update step_runs set available_at = now() - interval '20 minutes' where instance_id = ${inst.id} and step_key = 'b'`);
    await pause(inst.id);
    await pausedAgo(inst.id, 600_000);
    const [a0] = await runOf(inst.id, "a");
    const [b0] = await runOf(inst.id, "b");
    await resume(inst.id);
    const { clocksMovedByMs } = await resumeDetails(inst.id);
    expect(clocksMovedByMs).toBeGreaterThanOrEqual(600_000);
    const [a1] = await runOf(inst.id, "a");
    const [b1] = await runOf(inst.id, "b");
    expect(a1!.availableAt.getTime() - a0!.availableAt.getTime()).toBe(clocksMovedByMs);
    expect(b1!.availableAt.getTime()).toBe(b0!.availableAt.getTime());
  });

  it("the time-out sweep re-checks under the lock: an instance that finished draining meanwhile does not time out", async () => {
    const inst = await createInstance(t.db, { runningSteps: ["a"] });
    await t.db.execute(sql`update instances set due_at = now() + interval '1 hour' where id = ${inst.id}`);
    await pause(inst.id);
    const { dueAt } = await instanceRow(inst.id);
    await whileSweepWaits(inst.id, () => timeOutDueInstances(t.db, later(dueAt!, 1000)), async (tx) => {
      await tx.update(stepRuns).set({ status: "completed", finishedAt: sql`clock_timestamp()`, leaseExpiresAt: null }).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "a")));
    });
    expect((await instanceRow(inst.id)).status).toBe("paused");
  });
});

describe("with a real worker", () => {
  let worker: WorkerProcess;
  beforeAll(async () => {
    worker = await spawnWorker(t.url);
  });
  afterAll(async () => {
    await worker.stop();
  });
  const start = (ms: number) => startInstance(t.db, { workflow: "t-chain", input: { ms } }, operator, { catalog });
  const untilRunning = (id: string, step: string) => waitFor(`${step} running`, async () => (await runOf(id, step)).find((r) => r.status === "running"));
  // Far enough ahead that the worker's own sweep (on the real clock) never gets there first.
  const setDeadlineAnHourAhead = (id: string) => t.db.execute(sql`update instances set due_at = now() + interval '1 hour' where id = ${id}`);

  it("a graceful drain that overruns the deadline times the instance out, and its running step is told to stop", async () => {
    const inst = await start(30_000);
    await untilRunning(inst.id, "a");
    await setDeadlineAnHourAhead(inst.id);
    await pause(inst.id);
    expect((await runOf(inst.id, "a")).map((r) => r.status)).toEqual(["running"]);
    const { dueAt } = await instanceRow(inst.id);

    await timeOutDueInstances(t.db, later(dueAt!, 1000));
    expect((await instanceRow(inst.id)).status).toBe("timed_out");
    const [timedOut] = await historyRow(inst.id, "timed_out");
    expect(timedOut).toMatchObject({ fromStatus: "paused", toStatus: "timed_out", actorLabel: "system:clock" });
    expect((await runOf(inst.id, "a")).map((r) => r.status)).toEqual(["cancelled"]);
    await waitFor("the step's signal to fire", async () => (await observationsOf(t.db, inst.id)).includes("a:aborted"));
  });

  it("a fully paused instance never times out, and resume moves its deadline by the fully paused time only (drain excluded)", async () => {
    const inst = await start(1_500);
    await untilRunning(inst.id, "a");
    await setDeadlineAnHourAhead(inst.id);
    await pause(inst.id);
    expect((await runOf(inst.id, "a")).map((r) => r.status)).toEqual(["running"]);
    const drained = await waitFor("a drained", async () => (await runOf(inst.id, "a")).find((r) => r.status === "completed"));
    const held = await instanceRow(inst.id);
    expect(held.status).toBe("paused");

    await timeOutDueInstances(t.db, later(held.dueAt!, HOUR));
    expect((await instanceRow(inst.id)).status).toBe("paused");
    expect(await historyRow(inst.id, "timed_out")).toEqual([]);

    const resumed = await resume(inst.id);
    const details = await resumeDetails(inst.id);
    // The clocks stopped when the last in-flight step finished, not when the pause was asked for.
    expect(details.clockStoppedAt).toBe(drained.finishedAt!.toISOString());
    expect(drained.finishedAt!.getTime()).toBeGreaterThan(held.pausedAt!.getTime());
    expect(details.clocksMovedByMs).toBe(resumed.updatedAt.getTime() - drained.finishedAt!.getTime());
    expect(resumed.dueAt!.getTime() - held.dueAt!.getTime()).toBe(details.clocksMovedByMs);
    // The wall-clock pause (what the audit insights report) still counts from the pause.
    expect(details.pausedForMs - details.clocksMovedByMs).toBe(drained.finishedAt!.getTime() - held.pausedAt!.getTime());
  });
});
