/**
 * Retrying a failed instance from its failed step (lib/instances/retry-instance.ts), with a real
 * worker: the failed step runs again as the next attempt, completed steps do not, the context is
 * kept, the instance reaches completion; a race of retries has one winner; wrong states are 409s
 * that write nothing.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { events, history, instances, stepRunLogs, stepRuns } from "@/db/schema";
import { verifyChains } from "@/lib/audit/verify-chain";
import { AppError } from "@/lib/errors";
import { cancelInstance } from "@/lib/instances/cancel-instance";
import { retryInstance } from "@/lib/instances/retry-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { pauseWorkflow, resumeWorkflow } from "@/lib/workflows/workflow-pauses";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog, FIX_LOAD } from "../support/test-catalog";
import { observationsOf, prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));
const worker = await spawnWorker(t.url);

const statusOf = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const untilStatus = (id: string, status: string) => waitFor(`instance ${status}`, async () => {
  const row = await statusOf(id);
  return row.status === status && row;
});
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
const rowCounts = async (id: string) => ({
  history: (await t.db.select().from(history).where(eq(history.instanceId, id))).length,
  runs: (await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id))).length,
  events: (await t.db.select().from(events).where(eq(events.instanceId, id))).length,
});

/** A t-retry instance whose `load` failed both its attempts. */
async function failedInstance() {
  const started = await startInstance(t.db, { workflow: "t-retry" }, operator, { catalog });
  const failed = await untilStatus(started.id, "failed");
  expect(failed.error).toContain("warehouse refused the batch (attempt 2)");
  return failed;
}

it("runs the failed step again as attempt 3, keeps the completed step and the context, and completes", async () => {
  const failed = await failedInstance();
  await t.db.execute(sql`insert into test_observations (instance_id, step, what) values (${failed.id}, '-', ${FIX_LOAD})`);

  const retried = await retryInstance(t.db, { instanceId: failed.id, reason: "Warehouse is back", category: "incident", ticketUrl: "https://tracker.example.com/OPS-7" }, operator);
  expect(retried).toMatchObject({ status: "running", error: null, finishedAt: null, version: failed.version + 1 });
  const done = await untilStatus(failed.id, "completed");
  expect(done.context).toEqual({ prepared: true, batch: 42, loadedOn: 3, published: true });

  const runs = await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, failed.id)).orderBy(asc(stepRuns.createdAt));
  expect(runs.map((r) => [r.stepKey, r.attempt, r.status])).toEqual([
    ["prepare", 1, "completed"],
    ["load", 1, "failed"],
    ["load", 2, "failed"],
    ["load", 3, "completed"],
    ["publish", 1, "completed"],
  ]);
  // The completed step did not run again.
  expect((await observationsOf(t.db, failed.id)).filter((o) => o.startsWith("prepare:"))).toEqual(["prepare:ran"]);

  const rows = await t.db.select().from(history).where(eq(history.instanceId, failed.id)).orderBy(asc(history.seq));
  const retriedRow = rows.find((r) => r.action === "retried")!;
  expect(retriedRow).toMatchObject({ actorLabel: operator.label, reason: "Warehouse is back", fromStatus: "failed", toStatus: "running" });
  expect(retriedRow.details).toMatchObject({ steps: [{ step: "load", attempt: 3 }], category: "incident", ticketUrl: "https://tracker.example.com/OPS-7" });
  expect(rows.map((r) => r.action).slice(-2)).toEqual(["retried", "completed"]);
  const [event] = await t.db.select().from(events).where(and(eq(events.type, "workflow.instance.retried"), eq(events.instanceId, failed.id)));
  expect(event?.payload).toMatchObject({ id: failed.id, status: "running" });
  expect((await verifyChains(t.sql)).ok).toBe(true);

  // What each attempt logged through ctx.log is kept per run (stored beside the settle, so waited for).
  const logs = await waitFor("the third attempt's log lines", async () => {
    const rows = await t.db.select({ attempt: stepRuns.attempt, lines: stepRunLogs.lines }).from(stepRunLogs).innerJoin(stepRuns, eq(stepRuns.id, stepRunLogs.runId)).where(and(eq(stepRunLogs.instanceId, failed.id), eq(stepRuns.stepKey, "load")));
    return rows.length === 3 && rows;
  });
  const byAttempt = new Map(logs.map((l) => [l.attempt, l.lines.map((line) => `${line.level} ${line.msg}${line.fields ? ` ${line.fields}` : ""}`)]));
  expect(byAttempt.get(1)).toEqual(['info loading batch, attempt 1 {"batch":42}', "warn the warehouse refused the batch"]);
  expect(byAttempt.get(3)).toEqual(['info loading batch, attempt 3 {"batch":42}']);
});

it("two operators retrying at once: one wins, the other gets a conflict, and one new run is queued", async () => {
  const failed = await failedInstance();
  // Not fixed: the retried attempt fails again, so the instance ends failed once more.
  const results = await Promise.allSettled([
    retryInstance(t.db, { instanceId: failed.id, reason: "first" }, operator),
    retryInstance(t.db, { instanceId: failed.id, reason: "second" }, operator),
  ]);
  expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
  expect(lost.reason).toBeInstanceOf(AppError);
  expect(lost.reason).toMatchObject({ code: "conflict", message: expect.stringMatching(/Only a failed instance can be retried/) });
  await waitFor("the retried attempt failed", async () => (await statusOf(failed.id)).status === "failed" && (await statusOf(failed.id)).version > failed.version + 1);
  const runs = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, failed.id), eq(stepRuns.stepKey, "load")));
  expect(runs.map((r) => r.attempt).sort()).toEqual([1, 2, 3]);
  expect((await t.db.select().from(history).where(and(eq(history.instanceId, failed.id), eq(history.action, "retried")))).length).toBe(1);
});

it("a retry and a cancel racing on the version they both read: exactly one commits", async () => {
  const failed = await failedInstance();
  const [retry, cancel] = await Promise.allSettled([
    retryInstance(t.db, { instanceId: failed.id, reason: "retry it", expectedVersion: failed.version }, operator),
    cancelInstance(t.db, { instanceId: failed.id, reason: "give up", expectedVersion: failed.version }, operator),
  ]);
  // A failed instance cannot be cancelled, and whichever goes second sees a moved version: the retry is the one winner.
  expect([retry.status, cancel.status]).toEqual(["fulfilled", "rejected"]);
  expect((cancel as PromiseRejectedResult).reason).toMatchObject({ code: "conflict" });
  const actions = (await t.db.select().from(history).where(eq(history.instanceId, failed.id))).map((r) => r.action);
  expect(actions.filter((a) => a === "retried" || a === "cancelled")).toEqual(["retried"]);
});

it("refuses, writing nothing: a running or completed instance, a timed-out one, a paused workflow, a stale version, a blank reason", async () => {
  const failed = await failedInstance();
  const before = await rowCounts(failed.id);

  const blank = await refusal(retryInstance(t.db, { instanceId: failed.id, reason: "  " }, operator));
  expect(blank).toMatchObject({ code: "invalid", fields: { reason: ["Say why you are retrying"] } });
  const tooLong = await refusal(retryInstance(t.db, { instanceId: failed.id, reason: "x".repeat(501) }, operator));
  expect(tooLong).toMatchObject({ code: "invalid" });
  const stale = await refusal(retryInstance(t.db, { instanceId: failed.id, reason: "r", expectedVersion: failed.version - 1 }, operator));
  expect(stale).toMatchObject({ code: "conflict", message: expect.stringContaining("changed since you loaded it") });
  const unknown = await refusal(retryInstance(t.db, { instanceId: "00000000-0000-4000-8000-000000000000", reason: "r" }, operator));
  expect(unknown).toMatchObject({ code: "not_found" });

  await pauseWorkflow(t.db, { workflow: "t-retry", reason: "Warehouse migration" }, operator);
  const held = await refusal(retryInstance(t.db, { instanceId: failed.id, reason: "r" }, operator));
  expect(held).toMatchObject({ code: "conflict", message: expect.stringContaining("Warehouse migration") });
  await resumeWorkflow(t.db, { workflow: "t-retry" }, operator);

  await t.db.execute(sql`update instances set status = 'timed_out' where id = ${failed.id}`);
  const timedOut = await refusal(retryInstance(t.db, { instanceId: failed.id, reason: "r" }, operator));
  expect(timedOut).toMatchObject({ code: "conflict", message: expect.stringContaining("A timed out instance cannot be retried") });
  await t.db.execute(sql`update instances set status = 'completed' where id = ${failed.id}`);
  const completed = await refusal(retryInstance(t.db, { instanceId: failed.id, reason: "r" }, operator));
  expect(completed).toMatchObject({ code: "conflict", message: "Only a failed instance can be retried; this one is completed" });

  expect(await rowCounts(failed.id)).toEqual(before);
});

it("refuses an instance that failed beside a gate the failure withdrew: the gate is asked only once", async () => {
  const started = await startInstance(t.db, { workflow: "t-branch-gate" }, operator, { catalog });
  const failed = await untilStatus(started.id, "failed");
  const before = await rowCounts(failed.id);
  const error = await refusal(retryInstance(t.db, { instanceId: failed.id, reason: "again" }, operator));
  expect(error).toMatchObject({ code: "conflict", message: expect.stringContaining("was withdrawn when the instance failed") });
  expect(await rowCounts(failed.id)).toEqual(before);
  expect((await statusOf(failed.id)).status).toBe("failed");
});

it("restarts the deadline with the time that was left when the instance failed", async () => {
  const failed = await failedInstance();
  const finishedAt = failed.finishedAt!;
  await t.db.execute(sql`update instances set due_at = ${new Date(finishedAt.getTime() + 3_600_000).toISOString()}::timestamptz where id = ${failed.id}`);
  const before = Date.now();
  const retried = await retryInstance(t.db, { instanceId: failed.id, reason: "with time left" }, operator);
  const left = retried.dueAt!.getTime() - before;
  expect(left).toBeGreaterThanOrEqual(3_600_000 - 1);
  expect(retried.dueAt!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);
  await untilStatus(failed.id, "failed");
  await worker.stop();
});
