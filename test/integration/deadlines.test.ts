import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, gates, history, instances, stepRuns } from "@/db/schema";
import { catalog } from "@/workflows/catalog";
import { registerDefinitions } from "@/lib/workflows/registry";
import { defineWorkflow } from "@/lib/workflows/sdk";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { timeOutDueInstances } from "@/lib/instances/time-out-instances";
import { freshDatabase } from "../support/db";
import { createGatedInstance, createInstance } from "../support/factories";

const t = await freshDatabase();
const ops = { id: null, label: "ops@test.dev" };
const row = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;

describe("instance deadlines", () => {
  it("a workflow's timeoutMs sets the deadline when an instance starts", async () => {
    const timed = defineWorkflow({ key: "timed", version: 1, name: "Timed", timeoutMs: 3_600_000, steps: { a: { run: () => {} } } });
    await registerDefinitions(t.db, [...catalog, timed]);
    const before = Date.now();
    const inst = await startInstance(t.db, { workflow: "timed" }, ops, { catalog: [timed] });
    expect(inst.dueAt!.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
  });

  it("time spent paused moves the deadline back by exactly that long", async () => {
    const inst = await createInstance(t.db);
    await t.db.execute(sql`update instances set due_at = now() + interval '1 hour' where id = ${inst.id}`);
    await pauseInstance(t.db, { instanceId: inst.id, reason: "hold" }, ops);
    // Pretend the pause began ten minutes ago.
    await t.db.execute(sql`update instances set paused_at = paused_at - interval '10 minutes' where id = ${inst.id}`);
    const { dueAt: before, pausedAt } = await row(inst.id);
    const resumed = await resumeInstance(t.db, { instanceId: inst.id }, ops);
    const pausedFor = resumed.updatedAt.getTime() - pausedAt!.getTime();
    expect(Math.abs(resumed.dueAt!.getTime() - before!.getTime() - pausedFor)).toBeLessThan(1000);
    expect(resumed.dueAt!.getTime() - before!.getTime()).toBeGreaterThanOrEqual(600_000);
  });

  it("past its deadline an instance times out: steps stopped, gates withdrawn, history and event; a paused one waits", async () => {
    const running = await createInstance(t.db, { runningSteps: ["a"], pendingSteps: ["b"] });
    const { instance: waiting, gate } = await createGatedInstance(t.db, { stage: "slow" });
    const paused = await createInstance(t.db);
    await pauseInstance(t.db, { instanceId: paused.id, reason: "hold" }, ops);
    for (const id of [running.id, waiting.id, paused.id]) await t.db.execute(sql`update instances set due_at = now() - interval '1 minute' where id = ${id}`);

    expect(await timeOutDueInstances(t.db)).toBe(2);
    expect(await row(running.id)).toMatchObject({ status: "timed_out" });
    expect((await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, running.id))).map((r) => r.status).sort()).toEqual(["cancelled", "cancelled"]);
    expect((await t.db.select().from(gates).where(eq(gates.id, gate.id)))[0]!.status).toBe("withdrawn");
    expect((await t.db.select().from(history).where(eq(history.instanceId, running.id))).find((h) => h.action === "timed_out")).toMatchObject({ action: "timed_out", actorLabel: "system:clock", toStatus: "timed_out" });
    expect((await t.db.select().from(events).where(eq(events.instanceId, running.id))).map((e) => e.type)).toContain("workflow.instance.timed_out");
    expect((await row(paused.id)).status).toBe("paused");
    expect(await timeOutDueInstances(t.db)).toBe(0);
  });
});
