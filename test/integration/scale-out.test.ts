import { and, eq, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { history, instances } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { actor, createGatedInstance, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));

/** Workers sharing one database: what the README's "Running across machines" promises. */
const WORKERS = 3;
const CHAINS = 60;
const HELD = 6;
const SCHEDULED = 6;
const GATES = 6;

const countBy = async (action: "resumed" | "gate_expired", ids: string[]) =>
  t.db.execute<{ instance_id: string; n: number }>(sql`select instance_id, count(*)::int as n from ${history} where ${history.action} = ${action} and ${inArray(history.instanceId, ids)} group by instance_id`);

describe("several worker processes against one database", () => {
  it("run every step exactly once, honour pauses, and do each scheduled resume and gate expiry once", { timeout: 240_000 }, async () => {
    const start = async () => (await startInstance(t.db, { workflow: "t-observed" }, operator, { catalog })).id;
    // Held: paused before any worker exists, so none of their steps may start until resumed.
    const held: string[] = [];
    for (let i = 0; i < HELD; i++) held.push(await start());
    for (const id of held) await pauseInstance(t.db, { instanceId: id, reason: "held while the others run", mode: "graceful" }, operator);
    // Scheduled: paused with a resume time; every worker's chores see them due, one must resume each.
    const scheduled: string[] = [];
    for (let i = 0; i < SCHEDULED; i++) scheduled.push(await start());
    for (const id of scheduled) await pauseInstance(t.db, { instanceId: id, reason: "resume on schedule", mode: "graceful", resumeAt: new Date(Date.now() + 1_000) }, operator);
    // Gates whose time runs out at once: every worker's sweep sees them, one must expire each.
    const gated: string[] = [];
    for (let i = 0; i < GATES; i++) gated.push((await createGatedInstance(t.db, { stage: `expiring ${i}`, expiresAfterMs: 1 })).instance.id);

    // The workers are up before the rest start, so every start's wake-up reaches all of them at
    // once and their claims race for the same steps.
    await Promise.all(Array.from({ length: WORKERS }, () => spawnWorker(t.url, { FLOWGATE_CLAIM_BATCH: "2", FLOWGATE_WORKER_CONCURRENCY: "4" })));
    const others: string[] = [];
    for (let i = 0; i < CHAINS; i++) others.push(await start());
    const chains = [...held, ...scheduled, ...others];

    const free = [...scheduled, ...others];
    await waitFor("every instance not held completed", async () => (await t.db.select({ status: instances.status }).from(instances).where(inArray(instances.id, free))).every((r) => r.status === "completed"), 120_000, 100);
    await waitFor("every expiring gate expired", async () => (await countBy("gate_expired", gated)).length === GATES, 60_000, 100);

    // The held ones are still paused, and no step of theirs started after the pause committed.
    const heldRows = await t.db.select({ id: instances.id, status: instances.status }).from(instances).where(inArray(instances.id, held));
    expect(heldRows.map((r) => r.status)).toEqual(held.map(() => "paused"));
    const startedWhileHeld = await t.db.execute<{ instance_id: string }>(sql`select instance_id from step_runs where instance_id = any(${`{${held.join(",")}}`}::uuid[]) and started_at is not null`);
    expect(startedWhileHeld).toEqual([]);
    for (const id of held) await resumeInstance(t.db, { instanceId: id, reason: "go on" }, operator);
    await waitFor("the held instances completed after their resume", async () => (await t.db.select({ status: instances.status }).from(instances).where(inArray(instances.id, held))).every((r) => r.status === "completed"), 120_000, 100);

    // Each step's body ran exactly once (the steps themselves wrote it down), in every instance.
    const bodies = await t.db.execute<{ instance_id: string; step: string; n: number }>(sql`select instance_id, step, count(*)::int as n from test_observations where what = 'ran' and instance_id = any(${`{${chains.join(",")}}`}::uuid[]) group by instance_id, step`);
    expect(bodies.length).toBe(chains.length * 3);
    expect(bodies.filter((r) => r.n !== 1)).toEqual([]);
    const runs = await t.db.execute<{ instance_id: string; step_key: string; n: number }>(sql`select instance_id, step_key, count(*)::int as n from step_runs where instance_id = any(${`{${chains.join(",")}}`}::uuid[]) group by instance_id, step_key`);
    expect(runs.length).toBe(chains.length * 3);
    expect(runs.filter((r) => r.n !== 1)).toEqual([]);

    // Each scheduled resume happened once, by the schedule; each gate expired once and failed its instance once.
    const resumed = await countBy("resumed", scheduled);
    expect(resumed.map((r) => r.n).sort()).toEqual(scheduled.map(() => 1));
    const bySchedule = await t.db.select({ id: history.instanceId }).from(history).where(and(eq(history.action, "resumed"), inArray(history.instanceId, scheduled), sql`${history.actorLabel} like 'system:%'`));
    expect(bySchedule.length).toBe(SCHEDULED);
    const expired = await countBy("gate_expired", gated);
    expect(expired.map((r) => r.n)).toEqual(gated.map(() => 1));
    const failed = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from ${history} where ${history.action} = 'failed' and ${inArray(history.instanceId, gated)}`);
    expect(failed[0]!.n).toBe(GATES);
    // Every instance's hash chain is intact after several processes wrote to it.
    const gaps = await t.db.execute(sql`select instance_id from ${history} where ${inArray(history.instanceId, [...chains, ...gated])} group by instance_id having max(seq) <> count(*)`);
    expect(gaps).toEqual([]);
  });
});
