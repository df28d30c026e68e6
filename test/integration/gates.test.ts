import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, gates, history, instances, stepRuns } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { approveGate, rejectGate } from "@/lib/gates/decide-gate";
import { delegateGate } from "@/lib/gates/delegate-gate";
import { withdrawGates } from "@/lib/gates/withdraw-gates";
import { inboxCountFor, inboxFor } from "@/lib/gates/queries";
import { sweepGates } from "@/lib/gates/sweep-gates";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { freshDatabase } from "../support/db";
import { actor, createGatedInstance, createUser } from "../support/factories";

const t = await freshDatabase();
const alice = await createUser(t.db, "approver", { email: "alice@test.dev" });
const bob = await createUser(t.db, "approver", { email: "bob@test.dev" });
const carol = await createUser(t.db, "approver", { email: "carol@test.dev" });
const admin = await createUser(t.db, "admin", { email: "root@test.dev" });
const operator = await createUser(t.db, "operator", { email: "op@test.dev" });
const auditor = await createUser(t.db, "auditor", { email: "aud@test.dev" });

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}
const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const gateRow = async (id: string) => (await t.db.select().from(gates).where(eq(gates.id, id)))[0]!;
const actions = async (id: string) => (await t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq)).map((h) => h.action);

describe("approving", () => {
  it("one approval settles an any-one gate: the instance runs the gated step", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "staging", approverRole: "approver" });
    const result = await approveGate(t.db, { gateId: gate.id, comment: "looks good" }, alice);
    expect(result).toMatchObject({ outcome: "approved", progress: "1 of 1 approval" });
    expect((await gateRow(gate.id)).status).toBe("approved");
    expect((await instanceRow(instance.id)).status).toBe("running");
    const runs = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, instance.id), eq(stepRuns.stepKey, "b")));
    expect(runs.map((r) => r.status)).toEqual(["pending"]);
    expect(await actions(instance.id)).toEqual(["started", "gate_requested", "gate_approved"]);
    const types = (await t.db.select().from(events).where(eq(events.instanceId, instance.id))).map((e) => e.type);
    expect(types).toEqual(["workflow.approval.requested", "workflow.approval.decided"]);
  });

  it("two approvers deciding a 1-of-N gate at the same instant: one decision wins, the other is a conflict", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "staging" });
    const results = await Promise.allSettled([approveGate(t.db, { gateId: gate.id }, alice), approveGate(t.db, { gateId: gate.id }, bob)]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const loser = results.find((r): r is PromiseRejectedResult => r.status === "rejected")!;
    expect(loser.reason).toMatchObject({ code: "conflict", message: expect.stringMatching(/^This gate was already approved by (alice|bob)@test\.dev at /) });
    expect((await actions(instance.id)).filter((a) => a === "gate_approved")).toHaveLength(1);
  });

  it("N of M needs N distinct people; the same person twice is refused", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "production", approvals: 2 });
    expect(await approveGate(t.db, { gateId: gate.id }, alice)).toMatchObject({ outcome: "recorded", progress: "1 of 2 approvals" });
    expect((await instanceRow(instance.id)).status).toBe("waiting");
    const again = await refusal(approveGate(t.db, { gateId: gate.id }, alice));
    expect(again).toMatchObject({ code: "conflict", message: expect.stringContaining("You already approved") });
    expect(await approveGate(t.db, { gateId: gate.id }, bob)).toMatchObject({ outcome: "approved", progress: "2 of 2 approvals" });
    expect((await instanceRow(instance.id)).status).toBe("running");
  });

  it("refuses self-approval, even for an admin who started the instance", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "staging" }, actor(admin));
    const error = await refusal(approveGate(t.db, { gateId: gate.id }, admin));
    expect(error.code).toBe("forbidden");
    expect(error.message).toMatch(/another approver must decide/);
    const asApprover = await createGatedInstance(t.db, { stage: "staging" }, actor(alice));
    expect((await refusal(approveGate(t.db, { gateId: asApprover.gate.id }, alice))).code).toBe("forbidden");
  });

  it("refuses operators and auditors", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "staging" });
    expect((await refusal(approveGate(t.db, { gateId: gate.id }, operator))).code).toBe("forbidden");
    expect((await refusal(rejectGate(t.db, { gateId: gate.id, comment: "no" }, auditor))).code).toBe("forbidden");
    expect((await gateRow(gate.id)).status).toBe("pending");
  });

  it("only named approvers may decide a gate that names them", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "dba review", approvers: ["carol@test.dev"] });
    expect(await refusal(approveGate(t.db, { gateId: gate.id }, alice))).toMatchObject({ code: "forbidden", message: expect.stringContaining("carol@test.dev") });
    expect((await approveGate(t.db, { gateId: gate.id }, carol)).outcome).toBe("approved");
  });

  it("a gate naming a group lets its members approve, and no one else", async () => {
    const member = await createUser(t.db, "approver", { email: "rm@test.dev", groups: ["release-managers"] });
    const { gate } = await createGatedInstance(t.db, { stage: "release", groups: ["release-managers"] });
    expect(await refusal(approveGate(t.db, { gateId: gate.id }, alice))).toMatchObject({ code: "forbidden", message: expect.stringContaining("members of release-managers") });
    expect((await approveGate(t.db, { gateId: gate.id }, member)).outcome).toBe("approved");
  });

  it("all named approvers must approve in `all` mode", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "board", mode: "all", approvers: ["alice@test.dev", "bob@test.dev"] });
    expect((await approveGate(t.db, { gateId: gate.id }, alice)).outcome).toBe("recorded");
    expect((await approveGate(t.db, { gateId: gate.id }, bob)).outcome).toBe("approved");
  });

  it("per-role gates need one approver from each listed role", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "change board", mode: "per_role", roles: ["approver", "admin"] });
    expect(await approveGate(t.db, { gateId: gate.id }, alice)).toMatchObject({ outcome: "recorded", progress: "1 of 2 roles signed" });
    expect(await refusal(approveGate(t.db, { gateId: gate.id }, bob))).toMatchObject({ code: "conflict", message: expect.stringContaining("approver role has already signed") });
    expect((await approveGate(t.db, { gateId: gate.id }, admin)).outcome).toBe("approved");
  });

  it("an approval given while an operator holds the instance paused counts, but it proceeds only when resumed", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "staging" });
    await pauseInstance(t.db, { instanceId: instance.id, reason: "freeze" }, actor(operator));
    expect(await approveGate(t.db, { gateId: gate.id }, alice)).toMatchObject({ outcome: "approved", heldBy: operator.email });
    const held = await instanceRow(instance.id);
    expect(held).toMatchObject({ status: "paused", pausedFromStatus: "running" });
    expect((await resumeInstance(t.db, { instanceId: instance.id }, actor(operator))).status).toBe("running");
  });
});

describe("rejecting", () => {
  it("needs a comment, and then ends the gate and fails the instance", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "staging", approvals: 2 });
    const missing = await refusal(rejectGate(t.db, { gateId: gate.id, comment: "  " }, alice));
    expect(missing.code).toBe("invalid");
    expect(missing.fields?.comment).toEqual(["Say why you reject: the requester needs to know"]);
    expect((await gateRow(gate.id)).status).toBe("pending");

    expect(await rejectGate(t.db, { gateId: gate.id, comment: "error rate doubled" }, alice)).toMatchObject({ outcome: "rejected", heldBy: null });
    const failed = await instanceRow(instance.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain("error rate doubled");
    expect((await refusal(approveGate(t.db, { gateId: gate.id }, bob))).code).toBe("conflict");
  });
});

describe("delegating", () => {
  it("passes a named approver's turn to another approver, recorded", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "dba review", approvers: ["carol@test.dev"] });
    const bad = await refusal(delegateGate(t.db, { gateId: gate.id, to: "op@test.dev", reason: "away" }, carol));
    expect(bad.fields?.to).toBeDefined();
    await delegateGate(t.db, { gateId: gate.id, to: "bob@test.dev", reason: "on leave" }, carol);
    expect(await refusal(approveGate(t.db, { gateId: gate.id }, carol))).toMatchObject({ code: "forbidden", message: "You delegated your turn to bob@test.dev" });
    expect((await approveGate(t.db, { gateId: gate.id }, bob)).outcome).toBe("approved");
    expect(await actions(instance.id)).toEqual(["started", "gate_requested", "gate_delegated", "gate_approved"]);
  });
});

describe("the clock", () => {
  it("expires an undecided gate and fails the instance by default", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "staging", expiresAfterMs: 3_600_000 });
    expect(await sweepGates(t.db, new Date(Date.now() + 60_000))).toEqual({ expired: 0, escalated: 0 });
    expect(await sweepGates(t.db, new Date(Date.now() + 3_700_000))).toMatchObject({ expired: 1 });
    expect((await gateRow(gate.id)).status).toBe("expired");
    expect((await instanceRow(instance.id)).status).toBe("failed");
    expect((await refusal(approveGate(t.db, { gateId: gate.id }, alice))).message).toBe("This gate expired before it was decided");
  });

  it("continues past an expired gate when the gate says so", async () => {
    const { instance } = await createGatedInstance(t.db, { stage: "optional review", expiresAfterMs: 1000, onExpiry: "continue" });
    await sweepGates(t.db, new Date(Date.now() + 5000));
    expect((await instanceRow(instance.id)).status).toBe("running");
  });

  it("escalation opens the gate to more approvers", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "dba review", approvers: ["carol@test.dev"], escalateAfterMs: 60_000, escalateTo: ["bob@test.dev"] });
    expect((await refusal(approveGate(t.db, { gateId: gate.id }, bob))).code).toBe("forbidden");
    await sweepGates(t.db, new Date(Date.now() + 120_000));
    expect((await gateRow(gate.id)).escalatedAt).not.toBeNull();
    expect((await approveGate(t.db, { gateId: gate.id }, bob)).outcome).toBe("approved");
  });
});

describe("inbox and withdrawal", () => {
  it("the inbox lists only gates the user may decide, oldest first", async () => {
    const mine = await createGatedInstance(t.db, { stage: "inbox-a" });
    const selfStarted = await createGatedInstance(t.db, { stage: "inbox-b" }, actor(alice));
    const inbox = await inboxFor(t.db, alice);
    const ids = inbox.map((i) => i.gate.id);
    expect(ids).toContain(mine.gate.id);
    expect(ids).not.toContain(selfStarted.gate.id);
    expect(await inboxFor(t.db, operator)).toEqual([]);
    // The nav's count is the same rule over the same rows.
    expect(await inboxCountFor(t.db, alice)).toBe(inbox.length);
    expect(await inboxCountFor(t.db, operator)).toBe(0);
  });

  it("withdraws pending gates when the instance is cancelled", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "staging" });
    await t.db.transaction(async (tx) => {
      const [locked] = await tx.select().from(instances).where(eq(instances.id, instance.id)).for("update");
      expect(await withdrawGates(tx, locked!, actor(operator))).toBe(1);
    });
    expect((await gateRow(gate.id)).status).toBe("withdrawn");
    expect((await refusal(approveGate(t.db, { gateId: gate.id }, alice))).message).toMatch(/withdrawn/);
  });

  it("answers not_found for an unknown or malformed gate id", async () => {
    expect((await refusal(approveGate(t.db, { gateId: "nope" }, alice))).code).toBe("not_found");
    expect((await refusal(approveGate(t.db, { gateId: "00000000-0000-4000-8000-000000000000" }, alice))).code).toBe("not_found");
  });
});
