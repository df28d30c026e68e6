import { and, asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { gateDecisions, gates, history, instances, stepRuns, users } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { approveGate } from "@/lib/gates/decide-gate";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { actor, createGatedInstance, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { observationsOf, prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = await createUser(t.db, "operator");
const approver = await createUser(t.db, "approver");

const start = (workflow: string) => startInstance(t.db, { workflow }, actor(operator), { catalog });
const pendingGate = (instanceId: string) =>
  waitFor("gate pending", async () => (await t.db.select().from(gates).where(and(eq(gates.instanceId, instanceId), eq(gates.status, "pending"))))[0]);
const runsOf = async (instanceId: string) => Object.fromEntries((await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, instanceId))).map((r) => [r.stepKey, r.status]));
const ended = (instanceId: string) =>
  waitFor("instance ended", async () => {
    const [row] = await t.db.select().from(instances).where(eq(instances.id, instanceId));
    return row && ["completed", "failed"].includes(row.status) ? row : undefined;
  });
const refusal = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a refusal"); }, (e: unknown) => e as AppError);

describe("a gate with a form and branches, run by a real worker", () => {
  it("the approver's values and option reach the gated step; the other branch and what only it leads to are skipped; the join runs", async () => {
    const worker = await spawnWorker(t.url);
    const instance = await start("t-gate-form");
    const gate = await pendingGate(instance.id);
    expect(gate.form?.properties.region).toMatchObject({ type: "string", enum: ["eu", "us"], description: "Where to release" });

    const result = await approveGate(t.db, { gateId: gate.id, option: "ship", values: { region: "eu", note: "  canary first " }, comment: "go" }, approver);
    expect(result).toMatchObject({ outcome: "approved", skipped: ["hold", "announce"], gate: { chosenOption: "ship" } });

    expect((await ended(instance.id)).status).toBe("completed");
    const seen = await observationsOf(t.db, instance.id);
    const gateSeen = JSON.parse(seen.find((o) => o.startsWith("review:gate:"))!.slice("review:gate:".length));
    // Defaults filled in, text normalised (trimmed), every approval kept.
    expect(gateSeen).toMatchObject({ stage: "release review", status: "approved", option: "ship", values: { region: "eu", batch: 2, note: "canary first", urgent: false } });
    expect(gateSeen.decisions).toEqual([expect.objectContaining({ by: approver.email, option: "ship", values: { region: "eu", batch: 2, note: "canary first", urgent: false }, comment: "go" })]);
    expect(seen).toEqual(expect.arrayContaining(["ship:ran", "report:ran"]));
    expect(seen.some((o) => o.startsWith("hold:") || o.startsWith("announce:"))).toBe(false);
    expect(await runsOf(instance.id)).toEqual({ prepare: "completed", review: "completed", ship: "completed", hold: "skipped", announce: "skipped", report: "completed" });

    const rows = await t.db.select().from(history).where(eq(history.instanceId, instance.id)).orderBy(asc(history.seq));
    const approved = rows.find((r) => r.action === "gate_approved")!;
    expect(approved.details).toMatchObject({ option: "ship", values: { region: "eu", batch: 2, note: "canary first", urgent: false } });
    const skipped = rows.find((r) => r.action === "steps_skipped")!;
    expect(skipped).toMatchObject({ actorLabel: approver.email, details: { option: "ship", steps: ["hold", "announce"] } });
    expect(skipped.seq).toBe(approved.seq + 1);
    await worker.stop();
  });

  it("bad values or a missing option are refused field by field, and nothing changes", async () => {
    const worker = await spawnWorker(t.url);
    const instance = await start("t-gate-form");
    const gate = await pendingGate(instance.id);
    const before = await t.db.select().from(history).where(eq(history.instanceId, instance.id));

    const bad = await refusal(approveGate(t.db, { gateId: gate.id, option: "ship", values: { region: "mars", batch: 11, urgent: "yes", extra: 1 } }, approver));
    expect(bad).toBeInstanceOf(AppError);
    expect(bad.code).toBe("invalid");
    expect(Object.keys(bad.fields ?? {}).sort()).toEqual(["values", "values.batch", "values.region", "values.urgent"]);
    expect(bad.fields?.["values.region"]).toEqual(["Choose one of: eu, us"]);
    expect(bad.fields?.["values.batch"]).toEqual(["batch must be at most 10"]);

    const noOption = await refusal(approveGate(t.db, { gateId: gate.id, values: { region: "eu" } }, approver));
    expect(noOption.fields).toEqual({ option: ["Choose one of: ship, hold"] });
    const unknownOption = await refusal(approveGate(t.db, { gateId: gate.id, option: "yolo", values: { region: "eu" } }, approver));
    expect(unknownOption.fields).toHaveProperty("option");
    const missing = await refusal(approveGate(t.db, { gateId: gate.id, option: "hold", values: {} }, approver));
    expect(missing.fields).toEqual({ "values.region": ["region is required"] });

    expect(await t.db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id))).toEqual([]);
    expect((await t.db.select().from(gates).where(eq(gates.id, gate.id)))[0]).toMatchObject({ status: "pending", chosenOption: null, values: null });
    expect(await t.db.select().from(history).where(eq(history.instanceId, instance.id))).toHaveLength(before.length);
    expect(await runsOf(instance.id)).toEqual({ prepare: "completed" });
    await worker.stop();
  });

  it("an expiry to a named step takes that branch: the chosen-by-nobody path runs, the other is skipped, the join runs", async () => {
    const worker = await spawnWorker(t.url);
    const instance = await start("t-gate-form-expiring");
    expect((await ended(instance.id)).status).toBe("completed");
    const [gate] = await t.db.select().from(gates).where(eq(gates.instanceId, instance.id));
    expect(gate).toMatchObject({ status: "expired", onExpiry: "step", expiryStep: "hold", chosenOption: "hold" });
    expect(await runsOf(instance.id)).toEqual({ prepare: "completed", review: "completed", ship: "skipped", hold: "completed", announce: "completed", report: "completed" });
    const seen = await observationsOf(t.db, instance.id);
    const gateSeen = JSON.parse(seen.find((o) => o.startsWith("review:gate:"))!.slice("review:gate:".length));
    expect(gateSeen).toMatchObject({ status: "expired", option: "hold", values: null, decisions: [] });
    const rows = await t.db.select().from(history).where(eq(history.instanceId, instance.id)).orderBy(asc(history.seq));
    expect(rows.find((r) => r.action === "gate_expired")?.reason).toMatch(/going to step "hold"/);
    expect(rows.find((r) => r.action === "steps_skipped")).toMatchObject({ actorLabel: "system:clock", details: { steps: ["ship"] } });
    await worker.stop();
  });
});

describe("quorum", () => {
  /** A group of `size` approvers and a percent gate open to that group only, so the eligible set is exactly them. */
  async function percentGate(percent: number, size: number) {
    const group = `pct-${percent}-${size}-${Math.random().toString(36).slice(2, 8)}`;
    const members = [];
    for (let i = 0; i < size; i++) members.push(await createUser(t.db, "approver", { groups: [group] }));
    const { gate } = await createGatedInstance(t.db, { stage: `${percent} %`, mode: "percent", percent, groups: [group] }, actor(operator));
    return { gate, members };
  }

  it("60 % of 3 eligible approvers needs 2 (1.8 rounded up): the first is recorded, the second passes the gate", async () => {
    const { gate, members } = await percentGate(60, 3);
    expect(gate.required).toBe(2);
    const first = await approveGate(t.db, { gateId: gate.id }, members[0]!);
    expect(first).toMatchObject({ outcome: "recorded", progress: "1 of 2 approvals (60 % of eligible approvers)" });
    expect((await approveGate(t.db, { gateId: gate.id }, members[1]!)).outcome).toBe("approved");
  });

  it("67 % of 3 needs all 3; the count follows who is eligible at decision time (one deactivated: 67 % of 2 is 2)", async () => {
    const { gate, members } = await percentGate(67, 3);
    expect(gate.required).toBe(3);
    expect((await approveGate(t.db, { gateId: gate.id }, members[0]!)).outcome).toBe("recorded");
    await t.db.update(users).set({ deactivatedAt: new Date() }).where(eq(users.id, members[2]!.id));
    const second = await approveGate(t.db, { gateId: gate.id }, members[1]!);
    expect(second).toMatchObject({ outcome: "approved", gate: { required: 2 } });
  });

  it("with options and a quorum of 2, each path counts on its own; the decision that completes a path's quorum sets the values", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "two say which", approvals: 2, options: [{ name: "x", next: "c" }, { name: "y", next: "d" }] }, actor(operator));
    const [a, b, c] = [await createUser(t.db, "approver"), await createUser(t.db, "approver"), await createUser(t.db, "approver")];
    expect((await approveGate(t.db, { gateId: gate.id, option: "x" }, a)).outcome).toBe("recorded");
    const split = await approveGate(t.db, { gateId: gate.id, option: "y" }, b);
    expect(split).toMatchObject({ outcome: "recorded", progress: "1 of 2 approvals (x: 1, y: 1)" });
    const done = await approveGate(t.db, { gateId: gate.id, option: "x", comment: "agree with a" }, c);
    expect(done).toMatchObject({ outcome: "approved", gate: { chosenOption: "x", status: "approved" } });
  });
});
