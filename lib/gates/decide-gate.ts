import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { gateDecisions, gates, type Gate } from "@/db/schema";
import { actorOf, type SessionUser } from "@/lib/auth/permissions";
import { AppError, conflict, invalid } from "@/lib/errors";
import { enqueueApprovalEvent } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { fieldErrors, parseInput, type Untrusted } from "@/lib/validate";
import { eligibleCount } from "./eligible";
import { formValuesSchema, type FormSource } from "./form";
import { approveInputSchema, rejectInputSchema, type ApproveInput, type RejectInput } from "./inputs";
import { reasonTags } from "@/lib/instances/reason-tags";
import { isTerminal } from "@/lib/state-machine";
import { lockGate } from "./lock-gate";
import { continueAfterGate, failAtGate, skipBranches } from "./outcome";
import { isSatisfied, mayDecide, percentRequired, progressLabel } from "./rules";

/**
 * `heldBy`: who holds the instance paused once the decision is recorded, or null. An approval that
 * settles a gate of a paused instance lets it through only when the instance is resumed.
 */
export type DecisionResult = { gate: Gate; outcome: "recorded" | "approved" | "rejected"; progress: string; heldBy: string | null; skipped: string[] };

/**
 * Approves a gate, with the option chosen (required on a gate with options, refused on one
 * without) and the form's values (checked against the gate's form under the lock; `source:
 * "form"` reads them as a browser form's strings). Bad input throws `invalid` with fields
 * `option` or `values.<field>` before anything is written. Other refusals: see mayDecide.
 */
export async function approveGate(db: Db, raw: ApproveInput | Untrusted, user: SessionUser, source: FormSource = "json"): Promise<DecisionResult> {
  const input = parseInput(approveInputSchema, raw);
  return decide(db, input.gateId, "approve", input.comment ?? null, user, {}, { option: input.option ?? null, values: input.values, source });
}

export async function rejectGate(db: Db, raw: RejectInput | Untrusted, user: SessionUser): Promise<DecisionResult> {
  const input = parseInput(rejectInputSchema, raw);
  return decide(db, input.gateId, "reject", input.comment, user, reasonTags(input), { option: null, values: undefined, source: "json" });
}

type Choice = { option: string | null; values: Record<string, unknown> | undefined; source: FormSource };

/** The option and form values of an approval, checked against the gate; throws `invalid` naming the field. */
function checkChoice(gate: Gate, choice: Choice): { option: string | null; values: Record<string, unknown> | null } {
  const names = gate.options.map((o) => o.name);
  if (names.length && (choice.option === null || !names.includes(choice.option))) {
    throw invalid(`Choose one of: ${names.join(", ")}`, { option: [`Choose one of: ${names.join(", ")}`] });
  }
  if (!names.length && choice.option !== null) throw invalid("This gate offers no options; approve it plainly", { option: ["This gate offers no options"] });
  if (!gate.form) {
    if (choice.values && Object.keys(choice.values).length) throw invalid("This gate has no form; send no values", { values: ["This gate has no form"] });
    return { option: choice.option, values: null };
  }
  const parsed = formValuesSchema(gate.form, choice.source).safeParse(choice.values ?? {});
  if (!parsed.success) {
    const fields = Object.fromEntries(Object.entries(fieldErrors(parsed.error)).map(([k, v]) => [k === "_" ? "values" : `values.${k}`, v]));
    throw invalid(Object.values(fields)[0]?.[0] ?? "Check the form's values", fields);
  }
  return { option: choice.option, values: parsed.data as Record<string, unknown> };
}

/**
 * One decision, in one transaction with the instance and gate locked: check the rules, record
 * the decision, and when it settles the gate, move the instance on (or fail it). Two approvers
 * clicking at once serialise on the lock; the second finds the gate decided and is told by whom.
 */
async function decide(db: Db, gateId: string, decision: "approve" | "reject", comment: string | null, user: SessionUser, tags: ReturnType<typeof reasonTags>, choice: Choice): Promise<DecisionResult> {
  return db.transaction(async (tx) => {
    const { instance, gate: locked, decisions, delegations } = await lockGate(tx, gateId);
    // endInstance withdraws an ending instance's gates; one left pending by an ending before it did is not signable either.
    if (isTerminal(instance.status) && locked.status === "pending") throw conflict(`This gate's instance has ended (${instance.status.replace("_", " ")}); it can no longer be decided`);
    const verdict = mayDecide(user, { gate: locked, decisions, delegations, startedById: instance.startedById });
    if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
    const { option, values } = decision === "approve" ? checkChoice(locked, choice) : { option: null, values: null };

    // A percent gate's quorum counts the people eligible now, under the lock (users come and go).
    let gate = locked;
    if (gate.mode === "percent" && gate.percent) {
      const required = percentRequired(gate.percent, await eligibleCount(tx, gate, instance.startedById));
      if (required !== gate.required) [gate] = (await tx.update(gates).set({ required }).where(eq(gates.id, gateId)).returning()) as [Gate];
    }

    const [row] = await tx.insert(gateDecisions).values({ gateId, userId: user.id, userLabel: user.email, userRole: user.role, decision, option, values, comment, category: tags.category ?? null, ticketUrl: tags.ticketUrl ?? null }).returning();
    const all = [...decisions, row!];
    const settled = decision === "reject" ? "rejected" : isSatisfied(gate, all, option) ? "approved" : null;
    const progress = progressLabel(gate, all);

    let updated = gate;
    let move: { from: Instance["status"]; to: Instance["status"] } | null = null;
    if (settled) {
      // Decided before the instance moves, so that a failing instance's ending withdraws only its other gates.
      // The decision that completes the quorum decides the path and the values the step sees.
      const passed = settled === "approved" ? { chosenOption: option, values } : {};
      [updated] = (await tx.update(gates).set({ status: settled, decidedAt: new Date(), ...passed }).where(eq(gates.id, gateId)).returning()) as [Gate];
      if (settled === "approved") move = await continueAfterGate(tx, instance, updated);
    }

    // The decision first; a rejection's `failed` row (endInstance's, like every ending's) follows it.
    await appendHistory(tx, {
      instanceId: instance.id,
      workflowKey: instance.workflowKey,
      action: decision === "approve" ? "gate_approved" : "gate_rejected",
      actor: actorOf(user),
      reason: comment,
      fromStatus: move?.from ?? instance.status,
      toStatus: move?.to ?? instance.status,
      // How long the gate held the instance, for the timeline and the wait-time charts.
      details: { gateId, stage: gate.stage, progress, settled, ...(option ? { option } : {}), ...(values ? { values } : {}), ...(settled ? { waitedMs: Date.now() - gate.requestedAt.getTime() } : {}), ...tags },
    });
    const skipped = settled === "approved" ? await skipBranches(tx, { ...instance, status: move?.to ?? instance.status }, updated, { option }, actorOf(user)) : [];
    if (settled === "rejected") await failAtGate(tx, instance, updated, `Gate "${gate.stage}" rejected by ${user.email}: ${comment}`, actorOf(user));
    await enqueueApprovalEvent(tx, "workflow.approval.decided", instance.id, { gate: updated, decision: row });
    // A rejection has just ended the instance, and an ended instance is held by no one.
    const heldBy = settled !== "rejected" && (move?.to ?? instance.status) === "paused" ? instance.pausedByLabel : null;
    return { gate: updated, outcome: settled ?? "recorded", progress, heldBy, skipped };
  });
}

type Instance = Awaited<ReturnType<typeof lockGate>>["instance"];
