import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { bulkPause, bulkResume, describeBulk } from "@/lib/instances/bulk";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { countByStatus } from "@/lib/instances/queries";
import { freshDatabase } from "../support/db";
import { createInstance } from "../support/factories";

const t = await freshDatabase();
const ops = { id: null, label: "ops@test.dev" };

describe("bulk pause and resume", () => {
  it("pauses every running instance it can and reports each refusal, without undoing the others", async () => {
    const a = await createInstance(t.db);
    const b = await createInstance(t.db);
    const done = await createInstance(t.db, { status: "completed" });
    await pauseInstance(t.db, { instanceId: b.id, reason: "earlier" }, { id: null, label: "first@test.dev" });
    const summary = await bulkPause(t.db, { instanceIds: [a.id, b.id, done.id, "nope"], reason: "Freeze", category: "maintenance" }, ops);
    expect(summary).toMatchObject({ succeeded: 1, failed: 3 });
    expect(summary.results).toEqual([
      { instanceId: a.id, ok: true },
      { instanceId: b.id, ok: false, code: "conflict", message: expect.stringContaining("Already paused by first@test.dev"), headline: "Already paused by first@test.dev" },
      { instanceId: done.id, ok: false, code: "conflict", message: expect.stringContaining("ended"), headline: expect.stringContaining("ended") },
      { instanceId: "nope", ok: false, code: "not_found", message: "Instance not found", headline: "Instance not found" },
    ]);
  });

  it("groups refusals by who acted first, read from the refusal's fields, not by cutting its message at \" at \"", async () => {
    const first = { id: null, label: "Ops at Night" };
    const a = await createInstance(t.db);
    const b = await createInstance(t.db);
    const c = await createInstance(t.db);
    await pauseInstance(t.db, { instanceId: b.id, reason: "earlier" }, first);
    await pauseInstance(t.db, { instanceId: c.id, reason: "earlier still" }, first);
    const summary = await bulkPause(t.db, { instanceIds: [a.id, b.id, c.id], reason: "Freeze" }, ops);
    expect(describeBulk("Paused", summary)).toBe("Paused 1 of 3; 2 refused (Already paused by Ops at Night)");
  });

  it("paces resumes: n instances take at least (n - 1) / rate seconds", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const inst = await createInstance(t.db);
      await pauseInstance(t.db, { instanceId: inst.id, reason: "hold" }, ops);
      ids.push(inst.id);
    }
    const before = (await countByStatus(t.db)).running ?? 0;
    const started = performance.now();
    const summary = await bulkResume(t.db, { instanceIds: ids, reason: "thaw" }, ops, 10);
    // A lower bound only (the pacing itself), never an upper bound on speed.
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
    expect(summary).toMatchObject({ succeeded: 6, failed: 0 });
    expect((await countByStatus(t.db)).running).toBe(before + 6);
  });

  it("refuses an empty selection, too many ids, or a missing reason, and changes nothing", async () => {
    await expect(bulkPause(t.db, { instanceIds: [], reason: "x" }, ops)).rejects.toBeInstanceOf(AppError);
    await expect(bulkPause(t.db, { instanceIds: Array.from({ length: 501 }, (_, i) => String(i)), reason: "x" }, ops)).rejects.toThrow("at most 500");
    const inst = await createInstance(t.db);
    await expect(bulkPause(t.db, { instanceIds: [inst.id], reason: " " }, ops)).rejects.toThrow("Say why you are pausing");
  });

  it("a forced bulk resume needs one reason for the whole command, and records force_resumed for each", async () => {
    const a = await createInstance(t.db);
    await pauseInstance(t.db, { instanceId: a.id, reason: "held" }, ops);
    const refused = await bulkResume(t.db, { instanceIds: [a.id], force: true }, ops, 1000).catch((e: unknown) => e);
    expect((refused as AppError).fields?.reason).toEqual(["A forced resume needs a reason"]);
    const summary = await bulkResume(t.db, { instanceIds: [a.id], force: true, reason: "checked by hand" }, ops, 1000);
    expect(summary.succeeded).toBe(1);
    const rows = await t.sql`select action, reason from history where instance_id = ${a.id} and action = 'force_resumed'`;
    expect(rows.map((r) => [r.action, r.reason])).toEqual([["force_resumed", "checked by hand"]]);
  });
});
