import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { bulkOperationItems, history, instances } from "@/db/schema";
import { cancelBulkOperation } from "@/lib/bulk-operations/cancel";
import { getBulkOperation, listBulkTargets } from "@/lib/bulk-operations/queries";
import { claimBulkOperation, runBulkOperation } from "@/lib/bulk-operations/run";
import { countBulkTargets, startBulkOperation } from "@/lib/bulk-operations/start";
import { AppError } from "@/lib/errors";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { freshDatabase } from "../support/db";
import { createDefinition, createInstance, createUser, actor } from "../support/factories";
import { spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
const ops = { id: null, label: "ops@test.dev" };
const lease = { workerId: "test-runner", leaseMs: 60_000 };

/** `n` instances of a new workflow in `status`, inserted in one statement (the factory's one-by-one is too slow for thousands). */
async function manyInstances(n: number, status: "running" | "paused" | "waiting" | "completed", key?: string) {
  const def = await createDefinition(t.db, key ? { key } : {});
  const paused = status === "paused";
  await t.db.execute(sql`
    insert into instances (definition_id, workflow_key, status, started_by_label, paused_from_status, paused_at, paused_by_label, pause_reason, pause_mode, pause_kind)
    select ${def.id}::uuid, ${def.key}, ${status}::instance_status, 'test',
      ${paused ? "running" : null}::instance_status, ${paused ? sql`now()` : null}, ${paused ? "earlier@test.dev" : null}, ${paused ? "earlier" : null},
      ${paused ? "graceful" : null}::pause_mode, ${paused ? "manual" : null}::pause_kind
    from generate_series(1, ${n})`);
  return def.key;
}

/** Runs a started operation to its end in this process, as a worker would. */
async function runToEnd(operationId: string, ratePerSecond?: number) {
  const claimed = await claimBulkOperation(t.db, lease.workerId, lease.leaseMs);
  expect(claimed?.id).toBe(operationId);
  return runBulkOperation(t.db, claimed!, { ...lease, ratePerSecond });
}

const historyOf = (operationId: string) =>
  t.db.select({ instanceId: history.instanceId, action: history.action, actorLabel: history.actorLabel }).from(history).where(sql`${history.details}->>'bulkOperationId' = ${operationId}`);

describe("bulk operations by filter", () => {
  it("pauses all 10,000 running instances of a workflow, each with its own history row linked to the operation, and counts right", { timeout: 600_000 }, async () => {
    const key = await manyInstances(10_000, "running");
    // Not targets: another workflow's running instances, and this workflow's ended ones.
    await manyInstances(40, "running");
    await t.db.execute(sql`insert into instances (definition_id, workflow_key, status, started_by_label) select definition_id, workflow_key, 'completed', 'test' from instances where workflow_key = ${key} limit 25`);
    const filter = { status: "all", workflow: key };
    expect(await countBulkTargets(t.db, "pause", filter)).toMatchObject({ matched: 10_000 });

    const started = await startBulkOperation(t.db, "pause", { filter, reason: "Nightly ETL source is down", mode: "graceful", category: "incident" }, ops);
    expect(started).toMatchObject({ action: "pause", state: "running", matched: 10_000, filter: { status: "all", workflow: key } });
    expect(await runToEnd(started.id)).toBe("completed");

    const done = await getBulkOperation(t.db, started.id);
    expect(done).toMatchObject({ state: "completed", matched: 10_000, done: 10_000, counts: { pending: 0, succeeded: 10_000, refused: 0, skipped: 0 } });
    const rows = await historyOf(started.id);
    expect(rows).toHaveLength(10_000);
    expect(new Set(rows.map((r) => r.instanceId)).size).toBe(10_000);
    expect(rows.every((r) => r.action === "paused" && r.actorLabel === "ops@test.dev")).toBe(true);
    const byStatus = await t.db.select({ status: instances.status, n: sql<number>`count(*)::int` }).from(instances).where(eq(instances.workflowKey, key)).groupBy(instances.status);
    expect(Object.fromEntries(byStatus.map((r) => [r.status, r.n]))).toEqual({ paused: 10_000, completed: 25 });
    const [events] = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from events where type = 'workflow.instance.paused' and payload->>'workflowKey' = ${key}`);
    expect(events!.n).toBe(10_000);
  });

  it("refuses, target by target, an instance that changed between the count and the action, and says why", async () => {
    const def = await createDefinition(t.db);
    const keep = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key });
    const pausedMeanwhile = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key });
    const waitingMeanwhile = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key });
    const endedMeanwhile = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key });
    const op = await startBulkOperation(t.db, "pause", { filter: { status: "running", workflow: def.key }, reason: "Freeze" }, ops);
    expect(op.matched).toBe(4);

    await pauseInstance(t.db, { instanceId: pausedMeanwhile.id, reason: "mine" }, { id: null, label: "first@test.dev" });
    // Still pausable, but no longer what the operator counted (running): the filter is re-checked under the lock.
    await t.db.update(instances).set({ status: "waiting" }).where(eq(instances.id, waitingMeanwhile.id));
    await t.db.update(instances).set({ status: "completed" }).where(eq(instances.id, endedMeanwhile.id));
    expect(await runToEnd(op.id)).toBe("completed");

    const { items } = await listBulkTargets(t.db, op.id, {});
    const result = (id: string) => items.find((i) => i.instanceId === id);
    expect(result(keep.id)).toMatchObject({ status: "succeeded" });
    expect(result(pausedMeanwhile.id)).toMatchObject({ status: "refused", code: "conflict", message: expect.stringContaining("Already paused by first@test.dev") });
    expect(result(waitingMeanwhile.id)).toMatchObject({ status: "refused", code: "conflict", message: "No longer matches the filter: it is now waiting", instanceStatus: "waiting" });
    expect(result(endedMeanwhile.id)).toMatchObject({ status: "refused", code: "conflict", instanceStatus: "completed" });
    expect((await getBulkOperation(t.db, op.id)).counts).toMatchObject({ succeeded: 1, refused: 3, pending: 0 });
    // The refused ones got no history row from the operation.
    expect((await historyOf(op.id)).map((r) => r.instanceId)).toEqual([keep.id]);
  });

  it("an operator acting on a target at the same moment either wins or loses cleanly: one change, one history row", async () => {
    const key = await manyInstances(40, "paused");
    const op = await startBulkOperation(t.db, "resume", { filter: { status: "paused", workflow: key }, reason: "Thaw" }, ops);
    const ids = (await listBulkTargets(t.db, op.id, { limit: 500 })).items.map((i) => i.instanceId);
    const operator = { id: null, label: "night@test.dev" };
    // The operator resumes the same instances by hand, in the operation's order and at its pace,
    // so the two reach most instances at about the same moment.
    const manual = (async () => {
      const outcomes: ("won" | "lost")[] = [];
      for (const id of ids) {
        await new Promise((r) => setTimeout(r, 25));
        outcomes.push(
          await resumeInstance(t.db, { instanceId: id, reason: "by hand" }, operator).then(
            () => "won" as const,
            (e: unknown) => {
              expect(e).toBeInstanceOf(AppError);
              expect((e as AppError).message).toContain("Already resumed by ops@test.dev");
              return "lost" as const;
            },
          ),
        );
      }
      return outcomes;
    })();
    const [outcome, outcomes] = await Promise.all([runToEnd(op.id, 40), manual]);
    expect(outcome).toBe("completed");
    const { items } = await listBulkTargets(t.db, op.id, { limit: 500 });
    for (const item of items) {
      const rows = await t.db.select({ actorLabel: history.actorLabel, details: history.details }).from(history).where(and(eq(history.instanceId, item.instanceId), eq(history.action, "resumed")));
      expect(rows, item.instanceId).toHaveLength(1);
      if (item.status === "succeeded") expect(rows[0]).toMatchObject({ actorLabel: "ops@test.dev", details: { bulkOperationId: op.id } });
      else expect(item).toMatchObject({ status: "refused", message: expect.stringContaining("Already resumed by night@test.dev") }), expect(rows[0]!.actorLabel).toBe("night@test.dev");
    }
    // Each instance was resumed by exactly one of the two.
    expect(items.filter((i) => i.status === "succeeded").length + outcomes.filter((o) => o === "won").length).toBe(40);
  });

  it("a cancel stops the operation between targets: the rest are skipped and left as they were", async () => {
    const key = await manyInstances(30, "paused");
    const user = await createUser(t.db, "operator");
    const op = await startBulkOperation(t.db, "resume", { filter: { status: "paused", workflow: key }, reason: "Thaw" }, actor(user));
    const claimed = (await claimBulkOperation(t.db, lease.workerId, lease.leaseMs))!;
    const run = runBulkOperation(t.db, claimed, { ...lease, ratePerSecond: 20 });
    await waitFor("a few resumes", async () => (await getBulkOperation(t.db, op.id)).counts.succeeded >= 3);
    await expect(cancelBulkOperation(t.db, op.id, { reason: " " }, user, actor(user))).rejects.toThrow("Say why you are cancelling");
    const cancelled = await cancelBulkOperation(t.db, op.id, { reason: "Wrong workflow" }, user, actor(user));
    expect(cancelled).toMatchObject({ state: "cancelled", cancelReason: "Wrong workflow", cancelledByLabel: user.email });
    expect(await run).toBe("cancelled");
    const after = await getBulkOperation(t.db, op.id);
    expect(after.counts.pending).toBe(0);
    expect(after.counts.skipped).toBeGreaterThan(0);
    expect(after.counts.succeeded + after.counts.skipped).toBe(30);
    // Exactly the succeeded ones were resumed; the skipped ones are still paused.
    expect(await historyOf(op.id)).toHaveLength(after.counts.succeeded);
    const [stillPaused] = await t.db.select({ n: sql<number>`count(*)::int` }).from(instances).where(and(eq(instances.workflowKey, key), eq(instances.status, "paused")));
    expect(stillPaused!.n).toBe(after.counts.skipped);
    await expect(cancelBulkOperation(t.db, op.id, { reason: "again" }, user, actor(user))).rejects.toThrow("already cancelled");
    const auditor = await createUser(t.db, "auditor");
    await expect(cancelBulkOperation(t.db, op.id, { reason: "x" }, auditor, actor(auditor))).rejects.toMatchObject({ code: "forbidden" });
  });

  it("acts on exactly what the list's input search matches, and refuses a malformed one with its field", async () => {
    const def = await createDefinition(t.db);
    const acme = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, input: { customer: "acme", region: { name: "eu" } } });
    const other = await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, input: { customer: "globex", region: { name: "eu" } } });
    const filter = { status: "running", workflow: def.key, input: "customer=acme, region.name=eu" };
    expect(await countBulkTargets(t.db, "pause", filter)).toMatchObject({ matched: 1, filter });
    const operation = await startBulkOperation(t.db, "pause", { filter, reason: "only acme" }, ops);
    expect(operation.filter).toEqual(filter);
    await runToEnd(operation.id);
    const statuses = await t.db.select({ id: instances.id, status: instances.status }).from(instances).where(eq(instances.definitionId, def.id));
    expect(Object.fromEntries(statuses.map((r) => [r.id, r.status]))).toEqual({ [acme.id]: "paused", [other.id]: "running" });
    await expect(startBulkOperation(t.db, "pause", { filter: { status: "running", input: "customer" }, reason: "x" }, ops)).rejects.toMatchObject({ code: "invalid", fields: { "filter.input": expect.anything() } });
  });

  it("refuses a filter that matches nothing, or bad input, and records nothing", async () => {
    const before = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from bulk_operations`);
    await expect(startBulkOperation(t.db, "resume", { filter: { status: "paused", workflow: "no-such-workflow" } }, ops)).rejects.toThrow("No paused instance matches this filter");
    await expect(startBulkOperation(t.db, "pause", { filter: { status: "running" }, reason: "" }, ops)).rejects.toMatchObject({ code: "invalid", fields: { reason: expect.anything() } });
    await expect(startBulkOperation(t.db, "pause", { filter: { status: "sleeping" }, reason: "x" }, ops)).rejects.toMatchObject({ code: "invalid" });
    await expect(startBulkOperation(t.db, "resume", { filter: { status: "paused" }, force: true }, ops)).rejects.toMatchObject({ code: "invalid", fields: { reason: ["A forced resume needs a reason"] } });
    const after = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from bulk_operations`);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it("a worker killed mid-operation leaves the rest to the next worker, which finishes it: every target once", { timeout: 180_000 }, async () => {
    const key = await manyInstances(80, "paused");
    const op = await startBulkOperation(t.db, "resume", { filter: { status: "paused", workflow: key }, reason: "Thaw after the window" }, ops);
    // A short lease for the worker we kill, so the next one need not wait long for it to run out.
    const first = await spawnWorker(t.url, { FLOWGATE_LEASE_MS: "2000" });
    await waitFor("the first worker to resume some", async () => (await getBulkOperation(t.db, op.id)).counts.succeeded >= 10, 60_000);
    await first.kill();
    const midway = await getBulkOperation(t.db, op.id);
    expect(midway.state).toBe("running");
    expect(midway.counts.pending).toBeGreaterThan(0);

    const second = await spawnWorker(t.url);
    await waitFor("the operation to complete", async () => (await getBulkOperation(t.db, op.id)).state === "completed", 120_000);
    await second.stop();
    const done = await getBulkOperation(t.db, op.id);
    expect(done.counts).toEqual({ pending: 0, succeeded: 80, refused: 0, skipped: 0 });
    const rows = await historyOf(op.id);
    expect(rows).toHaveLength(80);
    expect(new Set(rows.map((r) => r.instanceId)).size).toBe(80);
    const [running] = await t.db.select({ n: sql<number>`count(*)::int` }).from(instances).where(and(eq(instances.workflowKey, key), eq(instances.status, "running")));
    expect(running!.n).toBe(80);
    const [items] = await t.db.select({ n: sql<number>`count(*)::int` }).from(bulkOperationItems).where(eq(bulkOperationItems.operationId, op.id));
    expect(items!.n).toBe(80);
  });
});
