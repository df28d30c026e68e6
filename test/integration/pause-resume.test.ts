import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, history, instances, stepRuns } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { freshDatabase } from "../support/db";
import { actor, createInstance, createUser } from "../support/factories";

const t = await freshDatabase();
const operator = actor(await createUser(t.db, "operator"));
const other = actor(await createUser(t.db, "operator"));

const historyOf = (id: string) => t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq);
const eventsOf = (id: string) => t.db.select().from(events).where(eq(events.instanceId, id)).orderBy(events.id);

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("pauseInstance", () => {
  it("pauses a running instance, writing history and an event in the same commit", async () => {
    const inst = await createInstance(t.db);
    const paused = await pauseInstance(t.db, { instanceId: inst.id, reason: "  System maintenance  " }, operator);
    expect(paused).toMatchObject({ status: "paused", pauseReason: "System maintenance", pausedByLabel: operator.label, pauseMode: "graceful", pauseKind: "manual", pausedFromStatus: "running", version: inst.version + 1 });
    const rows = await historyOf(inst.id);
    expect(rows.map((r) => r.action)).toEqual(["started", "paused"]);
    expect(rows[1]).toMatchObject({ actorLabel: operator.label, reason: "System maintenance", fromStatus: "running", toStatus: "paused", prevHash: rows[0]!.hash });
    const evts = await eventsOf(inst.id);
    expect(evts).toHaveLength(1);
    expect(evts[0]).toMatchObject({ type: "workflow.instance.paused", version: "1.0.0" });
    expect((evts[0]!.payload as { status: string }).status).toBe("paused");
  });

  it("two concurrent pauses: one succeeds, the other gets a conflict naming who paused, one history row", async () => {
    const inst = await createInstance(t.db);
    const results = await Promise.allSettled([
      pauseInstance(t.db, { instanceId: inst.id, reason: "first" }, operator),
      pauseInstance(t.db, { instanceId: inst.id, reason: "second" }, other),
    ]);
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toBeInstanceOf(AppError);
    expect(failed[0]!.reason.code).toBe("conflict");
    expect(failed[0]!.reason.message).toMatch(/^Already paused by .+@test\.dev at \d{4}-/);
    expect((await historyOf(inst.id)).filter((r) => r.action === "paused")).toHaveLength(1);
    expect(await eventsOf(inst.id)).toHaveLength(1);
  });

  it("immediate pause interrupts running steps and queues a rerun; graceful leaves them to drain", async () => {
    const a = await createInstance(t.db, { runningSteps: ["a"] });
    await pauseInstance(t.db, { instanceId: a.id, reason: "stop now", mode: "immediate" }, operator);
    const runsA = await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, a.id)).orderBy(stepRuns.createdAt);
    expect(runsA.map((r) => r.status).sort()).toEqual(["interrupted", "pending"]);
    expect(runsA.every((r) => r.attempt === 1)).toBe(true);

    const b = await createInstance(t.db, { runningSteps: ["a"] });
    await pauseInstance(t.db, { instanceId: b.id, reason: "drain", mode: "graceful" }, operator);
    const runsB = await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, b.id));
    expect(runsB.map((r) => r.status)).toEqual(["running"]);
  });

  it.each([
    ["an empty reason", { reason: "   " }, "invalid"],
    ["a 501-character reason", { reason: "x".repeat(501) }, "invalid"],
    ["an unknown mode", { reason: "ok", mode: "sideways" }, "invalid"],
    ["a resume time in the past", { reason: "ok", resumeAt: "2001-01-01T00:00:00Z" }, "invalid"],
    ["a resume time that is no date", { reason: "ok", resumeAt: "tomorrow-ish" }, "invalid"],
    ["a resume time past Postgres' range", { reason: "ok", resumeAt: new Date(8.64e15) }, "invalid"],
  ])("refuses %s and writes nothing", async (_name, patch, code) => {
    const inst = await createInstance(t.db);
    const error = await rejection(pauseInstance(t.db, { instanceId: inst.id, ...patch }, operator));
    expect(error.code).toBe(code);
    expect(error.fields).toBeDefined();
    const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
    expect(row!.status).toBe("running");
    expect(row!.version).toBe(inst.version);
    expect(await historyOf(inst.id)).toHaveLength(1);
    expect(await eventsOf(inst.id)).toHaveLength(0);
  });

  it("accepts a 500-character reason", async () => {
    const inst = await createInstance(t.db);
    await expect(pauseInstance(t.db, { instanceId: inst.id, reason: "y".repeat(500) }, operator)).resolves.toMatchObject({ status: "paused" });
  });

  it("answers not_found for an unknown or malformed id", async () => {
    expect((await rejection(pauseInstance(t.db, { instanceId: "00000000-0000-4000-8000-000000000000", reason: "x" }, operator))).code).toBe("not_found");
    expect((await rejection(pauseInstance(t.db, { instanceId: "not-a-uuid'; drop table instances;--", reason: "x" }, operator))).code).toBe("not_found");
  });

  it("refuses to pause an ended instance, and a stale version", async () => {
    const done = await createInstance(t.db, { status: "completed" });
    const error = await rejection(pauseInstance(t.db, { instanceId: done.id, reason: "x" }, operator));
    expect(error.code).toBe("conflict");
    expect(error.message).toMatch(/ended \(completed\)/);

    const inst = await createInstance(t.db);
    const stale = await rejection(pauseInstance(t.db, { instanceId: inst.id, reason: "x", expectedVersion: inst.version + 5 }, operator));
    expect(stale.code).toBe("conflict");
    expect(stale.message).toMatch(/changed since you loaded it/);
  });

  it("rolls back everything when a later write in the transaction fails", async () => {
    const inst = await createInstance(t.db);
    // The outbox insert is the command's last write; make it fail for this one reason.
    await t.sql.unsafe(`
      create or replace function fail_outbox() returns trigger as $$
      begin
        if new.payload->>'pauseReason' = 'explode' then raise exception 'outbox down'; end if;
        return new;
      end $$ language plpgsql;
      create trigger fail_outbox before insert on events for each row execute function fail_outbox();`);
    await expect(pauseInstance(t.db, { instanceId: inst.id, reason: "explode" }, operator)).rejects.toThrow(/outbox down/);
    const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
    expect(row!.status).toBe("running");
    expect(await historyOf(inst.id)).toHaveLength(1);
    expect(await eventsOf(inst.id)).toHaveLength(0);
  });
});

describe("resumeInstance", () => {
  it("resumes to running, clears the pause, keeps the context, and records it", async () => {
    const inst = await createInstance(t.db, { context: { b: 2, a: { nested: [1, 2] } } });
    await pauseInstance(t.db, { instanceId: inst.id, reason: "hold" }, operator);
    const resumed = await resumeInstance(t.db, { instanceId: inst.id, reason: "go" }, other);
    expect(resumed).toMatchObject({ status: "running", pauseReason: null, pausedAt: null, pausedByLabel: null });
    expect(resumed.context).toEqual({ b: 2, a: { nested: [1, 2] } });
    const rows = await historyOf(inst.id);
    expect(rows.map((r) => r.action)).toEqual(["started", "paused", "resumed"]);
    expect(rows[2]).toMatchObject({ actorLabel: other.label, reason: "go", fromStatus: "paused", toStatus: "running" });
    expect((await eventsOf(inst.id)).map((e) => e.type)).toEqual(["workflow.instance.paused", "workflow.instance.resumed"]);
  });

  it("returns a paused instance that was waiting at a gate to waiting", async () => {
    const inst = await createInstance(t.db, { status: "waiting" });
    await pauseInstance(t.db, { instanceId: inst.id, reason: "hold the gate" }, operator);
    expect((await resumeInstance(t.db, { instanceId: inst.id }, operator)).status).toBe("waiting");
  });

  it("refuses to resume a running instance and changes nothing", async () => {
    const inst = await createInstance(t.db);
    const error = await rejection(resumeInstance(t.db, { instanceId: inst.id }, operator));
    expect(error.code).toBe("conflict");
    expect(error.message).toMatch(/Only a paused instance can be resumed/);
    expect(await historyOf(inst.id)).toHaveLength(1);
  });

  it("a forced resume needs a reason and is recorded as forced", async () => {
    const inst = await createInstance(t.db);
    await pauseInstance(t.db, { instanceId: inst.id, reason: "hold" }, operator);
    const error = await rejection(resumeInstance(t.db, { instanceId: inst.id, force: true, reason: "  " }, operator));
    expect(error.code).toBe("invalid");
    expect(error.fields?.reason).toBeDefined();
    await resumeInstance(t.db, { instanceId: inst.id, force: true, reason: "incident over" }, operator);
    expect((await historyOf(inst.id)).find((h) => h.action === "force_resumed")).toMatchObject({ action: "force_resumed", reason: "incident over" });
  });

  it("two concurrent resumes: one wins, one conflict, one history row", async () => {
    const inst = await createInstance(t.db);
    await pauseInstance(t.db, { instanceId: inst.id, reason: "hold" }, operator);
    const results = await Promise.allSettled([resumeInstance(t.db, { instanceId: inst.id }, operator), resumeInstance(t.db, { instanceId: inst.id }, other)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const loser = results.find((r): r is PromiseRejectedResult => r.status === "rejected")!;
    expect(loser.reason).toMatchObject({ code: "conflict", message: expect.stringMatching(/^Already resumed by .+@test\.dev at /) });
    expect((await historyOf(inst.id)).filter((r) => r.action === "resumed")).toHaveLength(1);
  });
});
