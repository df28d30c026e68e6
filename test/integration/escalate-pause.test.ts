import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, history, instances, stepRuns } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { escalatePause, pauseInstance } from "@/lib/instances/pause-instance";
import { freshDatabase } from "../support/db";
import { actor, createInstance, createUser } from "../support/factories";

const t = await freshDatabase();
const first = actor(await createUser(t.db, "operator"));
const second = actor(await createUser(t.db, "operator"));

const historyOf = (id: string) => t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq);
const eventsOf = (id: string) => t.db.select().from(events).where(eq(events.instanceId, id));
const runsOf = (id: string) => t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(stepRuns.createdAt);
const rowOf = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/** A graceful pause still draining: one step running when the pause committed. */
async function draining() {
  const inst = await createInstance(t.db, { runningSteps: ["a"] });
  await pauseInstance(t.db, { instanceId: inst.id, reason: "Release freeze", mode: "graceful" }, first);
  return inst;
}

describe("escalatePause", () => {
  it("makes a draining graceful pause immediate: running steps interrupted and requeued, its own history row, an event, one commit", async () => {
    const inst = await draining();
    const before = await rowOf(inst.id);
    const updated = await escalatePause(t.db, { instanceId: inst.id, reason: "The step is writing bad rows" }, second);

    // The pause keeps its author, reason and start; only its mode changes.
    expect(updated).toMatchObject({ status: "paused", pauseMode: "immediate", pausedByLabel: first.label, pauseReason: "Release freeze", version: before.version + 1 });
    expect(updated.pausedAt).toEqual(before.pausedAt);
    const runs = await runsOf(inst.id);
    expect(runs.map((r) => [r.stepKey, r.status, r.attempt])).toEqual([["a", "interrupted", 1], ["a", "pending", 1]]);
    const rows = await historyOf(inst.id);
    expect(rows.map((r) => r.action)).toEqual(["started", "paused", "paused"]);
    expect(rows[2]).toMatchObject({ actorLabel: second.label, reason: "The step is writing bad rows", fromStatus: "paused", toStatus: "paused", prevHash: rows[1]!.hash });
    expect(rows[2]!.details).toMatchObject({ mode: "immediate", escalated: true, interrupted: ["a"] });
    expect((await eventsOf(inst.id)).map((e) => e.type)).toEqual(["workflow.instance.paused", "workflow.instance.paused"]);
  });

  it("is refused once the drain has finished, and changes nothing", async () => {
    const inst = await createInstance(t.db);
    await pauseInstance(t.db, { instanceId: inst.id, reason: "Nothing in flight", mode: "graceful" }, first);
    const before = await rowOf(inst.id);
    const error = await rejection(escalatePause(t.db, { instanceId: inst.id, reason: "Stop now" }, second));
    expect(error.code).toBe("conflict");
    expect(error.message).toMatch(/already taken full effect/);
    expect(await rowOf(inst.id)).toEqual(before);
    expect(await historyOf(inst.id)).toHaveLength(2);
  });

  it("is refused for an instance that is not paused, or already paused immediately", async () => {
    const running = await createInstance(t.db, { runningSteps: ["a"] });
    expect((await rejection(escalatePause(t.db, { instanceId: running.id, reason: "Stop now" }, second))).message).toMatch(/Only a paused instance/);
    const runs = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, running.id), eq(stepRuns.status, "running")));
    expect(runs).toHaveLength(1);

    const immediate = await createInstance(t.db, { runningSteps: ["a"] });
    await pauseInstance(t.db, { instanceId: immediate.id, reason: "Now", mode: "immediate" }, first);
    expect((await rejection(escalatePause(t.db, { instanceId: immediate.id, reason: "Stop now" }, second))).message).toMatch(/Already paused immediately/);
  });

  it("needs a reason", async () => {
    const inst = await draining();
    const error = await rejection(escalatePause(t.db, { instanceId: inst.id, reason: "  " }, second));
    expect(error.fields?.reason?.[0]).toMatch(/Say why/);
    expect((await rowOf(inst.id)).pauseMode).toBe("graceful");
  });

  it("two escalations at once: one wins, the other gets a conflict, one history row", async () => {
    const inst = await draining();
    const results = await Promise.allSettled([
      escalatePause(t.db, { instanceId: inst.id, reason: "First to stop it" }, first),
      escalatePause(t.db, { instanceId: inst.id, reason: "Second to stop it" }, second),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected");
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(AppError);
    expect((await historyOf(inst.id)).filter((r) => r.fromStatus === "paused" && r.toStatus === "paused")).toHaveLength(1);
  });
});
