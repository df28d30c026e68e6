import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { gateDelegations, gates, history, instances } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { approveGate } from "@/lib/gates/decide-gate";
import { delegateGate } from "@/lib/gates/delegate-gate";
import { delegateCandidatesFor, inboxFor } from "@/lib/gates/queries";
import { freshDatabase } from "../support/db";
import { actor, createGatedInstance, createUser } from "../support/factories";

const t = await freshDatabase();
const alice = await createUser(t.db, "approver", { email: "alice@deleg.test" });
const bob = await createUser(t.db, "approver", { email: "bob@deleg.test" });
const carol = await createUser(t.db, "approver", { email: "carol@deleg.test" });
const rm1 = await createUser(t.db, "approver", { email: "rm1@deleg.test", groups: ["release-managers"] });
const rm2 = await createUser(t.db, "approver", { email: "rm2@deleg.test", groups: ["release-managers"] });
const outsider = await createUser(t.db, "approver", { email: "outsider@deleg.test", groups: ["support"] });
const starter = await createUser(t.db, "approver", { email: "starter@deleg.test" });
const requester = await createUser(t.db, "approver", { email: "requester@deleg.test" });
const root = await createUser(t.db, "admin", { email: "root@deleg.test" });
await createUser(t.db, "operator", { email: "op@deleg.test" });

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}
const gateRow = async (id: string) => (await t.db.select().from(gates).where(eq(gates.id, id)))[0]!;
const delegationsOf = (gateId: string) => t.db.select().from(gateDelegations).where(eq(gateDelegations.gateId, gateId));
const actions = async (id: string) => (await t.db.select().from(history).where(eq(history.instanceId, id)).orderBy(history.seq)).map((h) => h.action);

/** A refused delegation leaves the database as it was: no delegation row, no history row, the gate pending. */
async function untouched(instanceId: string, gateId: string, historyBefore: string[]) {
  expect(await delegationsOf(gateId)).toEqual([]);
  expect(await actions(instanceId)).toEqual(historyBefore);
  expect((await gateRow(gateId)).status).toBe("pending");
}

describe("delegation stays inside the gate's rule", () => {
  it("(a) on an all-of gate, refuses a delegate who already holds a turn: the gate could never complete", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "both sign", mode: "all", approvers: [alice.email, bob.email] });
    const before = await actions(instance.id);
    const error = await refusal(delegateGate(t.db, { gateId: gate.id, to: bob.email, reason: "on leave" }, alice));
    expect(error).toMatchObject({ code: "conflict", message: expect.stringContaining("bob@deleg.test already holds a turn on this gate (a named approver)") });
    expect(error.fields?.to).toEqual(["Already holds a turn"]);
    await untouched(instance.id, gate.id, before);
  });

  it("(b) refuses a delegate outside the gate's group, whose approval would complete it", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "release", groups: ["release-managers"] });
    const before = await actions(instance.id);
    const error = await refusal(delegateGate(t.db, { gateId: gate.id, to: outsider.email, reason: "on leave" }, rm1));
    expect(error).toMatchObject({ code: "invalid", message: "Only members of release-managers may decide this gate; outsider@deleg.test is not one" });
    await untouched(instance.id, gate.id, before);
    expect((await refusal(approveGate(t.db, { gateId: gate.id }, outsider))).code).toBe("forbidden");
  });

  it("refuses a fellow group member too: they can already decide, so the turn would be lost", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "release two", groups: ["release-managers"], approvals: 2 });
    const before = await actions(instance.id);
    const error = await refusal(delegateGate(t.db, { gateId: gate.id, to: rm2.email, reason: "on leave" }, rm1));
    expect(error).toMatchObject({ code: "conflict", message: expect.stringContaining("rm2@deleg.test already holds a turn on this gate (a member of release-managers)") });
    await untouched(instance.id, gate.id, before);
  });

  it("refuses whoever started the instance", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "named", approvers: [alice.email] }, actor(starter));
    const before = await actions(instance.id);
    const error = await refusal(delegateGate(t.db, { gateId: gate.id, to: starter.email, reason: "away" }, alice));
    expect(error).toMatchObject({ code: "invalid", message: "starter@deleg.test started this instance, so they may not approve it", fields: { to: ["They started this instance"] } });
    await untouched(instance.id, gate.id, before);
  });

  it("refuses whoever requested the approval", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "named", approvers: [alice.email] }, actor(starter));
    await t.db.update(gates).set({ requestedById: requester.id, requestedByLabel: requester.email }).where(eq(gates.id, gate.id));
    const before = await actions(instance.id);
    const error = await refusal(delegateGate(t.db, { gateId: gate.id, to: requester.email, reason: "away" }, alice));
    expect(error).toMatchObject({ code: "invalid", message: "requester@deleg.test asked for this approval, so they may not approve it", fields: { to: ["They asked for this approval"] } });
    await untouched(instance.id, gate.id, before);
  });

  it("refuses someone who already decided", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "both", mode: "all", approvers: [alice.email, bob.email] });
    await approveGate(t.db, { gateId: gate.id, comment: "fine by me" }, bob);
    const before = await actions(instance.id);
    const error = await refusal(delegateGate(t.db, { gateId: gate.id, to: bob.email, reason: "away" }, alice));
    expect(error).toMatchObject({ code: "conflict", message: expect.stringMatching(/^bob@deleg\.test already approved this gate at /) });
    await untouched(instance.id, gate.id, before);
  });

  it("refuses someone who is not an approver at all, and an unknown email", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "named", approvers: [alice.email] });
    const before = await actions(instance.id);
    const error = await refusal(delegateGate(t.db, { gateId: gate.id, to: "op@deleg.test", reason: "away" }, alice));
    expect(error).toMatchObject({ code: "invalid", message: "op@deleg.test cannot decide approval gates: they are an operator" });
    const unknown = await refusal(delegateGate(t.db, { gateId: gate.id, to: "nobody@deleg.test", reason: "away" }, alice));
    expect(unknown).toMatchObject({ code: "invalid", message: "Delegate to someone who can approve", fields: { to: ["No approver has this email"] } });
    await untouched(instance.id, gate.id, before);
  });

  it("refuses someone who passed their own turn on, and someone of another role than the gate asks for", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "three", mode: "all", approvers: [alice.email, bob.email, rm1.email] });
    await delegateGate(t.db, { gateId: gate.id, to: carol.email, reason: "away" }, bob);
    const before = await actions(instance.id);
    const handedOn = await refusal(delegateGate(t.db, { gateId: gate.id, to: bob.email, reason: "away" }, alice));
    expect(handedOn).toMatchObject({ code: "conflict", message: "bob@deleg.test passed their own turn on this gate to carol@deleg.test" });
    const taken = await refusal(delegateGate(t.db, { gateId: gate.id, to: carol.email, reason: "away" }, alice));
    expect(taken).toMatchObject({ code: "conflict", message: expect.stringContaining("carol@deleg.test already holds a turn on this gate (delegated by bob@deleg.test)") });
    expect(await actions(instance.id)).toEqual(before);

    const admins = await createGatedInstance(t.db, { stage: "admins only", approverRole: "admin", approvers: [root.email] });
    const wrongRole = await refusal(delegateGate(t.db, { gateId: admins.gate.id, to: alice.email, reason: "away" }, root));
    expect(wrongRole).toMatchObject({ code: "invalid", message: "Only an admin may decide this gate; alice@deleg.test is an approver" });
  });

  it("a valid delegation works, and the delegate's approval completes the gate", async () => {
    const { instance, gate } = await createGatedInstance(t.db, { stage: "both sign", mode: "all", approvers: [alice.email, bob.email] });
    await delegateGate(t.db, { gateId: gate.id, to: carol.email, reason: "on leave" }, alice);
    expect(await approveGate(t.db, { gateId: gate.id }, bob)).toMatchObject({ outcome: "recorded" });
    expect(await approveGate(t.db, { gateId: gate.id }, carol)).toMatchObject({ outcome: "approved", progress: "2 of 2 approvals" });
    expect((await t.db.select().from(instances).where(eq(instances.id, instance.id)))[0]!.status).toBe("running");
    expect(await actions(instance.id)).toEqual(["started", "gate_requested", "gate_delegated", "gate_approved", "gate_approved"]);
  });

  it("the approvals page offers only the delegates the rule accepts", async () => {
    const named = await createGatedInstance(t.db, { stage: "menu named", mode: "all", approvers: [alice.email, bob.email] }, actor(starter));
    await t.db.update(gates).set({ requestedById: requester.id }).where(eq(gates.id, named.gate.id));
    const grouped = await createGatedInstance(t.db, { stage: "menu group", groups: ["release-managers"] });

    const forAlice = await delegateCandidatesFor(t.db, alice, (await inboxFor(t.db, alice)).filter((i) => i.gate.id === named.gate.id));
    const offered = forAlice.get(named.gate.id)!.map((d) => d.email);
    expect(offered).toEqual(expect.arrayContaining([carol.email, root.email, rm1.email, outsider.email]));
    for (const refused of [alice.email, bob.email, starter.email, requester.email, "op@deleg.test"]) expect(offered).not.toContain(refused);
    // Everyone it offers, the use case accepts.
    for (const email of offered) {
      const gate = await createGatedInstance(t.db, { stage: "menu check", mode: "all", approvers: [alice.email, bob.email] }, actor(starter));
      await expect(delegateGate(t.db, { gateId: gate.gate.id, to: email, reason: "menu" }, alice)).resolves.toMatchObject({ toLabel: email });
    }

    // A group gate: outsiders do not fit it and every member already holds a turn.
    const forRm1 = await delegateCandidatesFor(t.db, rm1, (await inboxFor(t.db, rm1)).filter((i) => i.gate.id === grouped.gate.id));
    expect(forRm1.get(grouped.gate.id)).toEqual([]);
  });
});
