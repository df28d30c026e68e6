import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { gateDecisions, gates, type Gate } from "@/db/schema";
import { actorOf, type SessionUser } from "@/lib/auth/permissions";
import { AppError, conflict } from "@/lib/errors";
import { enqueueApprovalEvent } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { parseInput, type Untrusted } from "@/lib/validate";
import { approveInputSchema, rejectInputSchema, type ApproveInput, type RejectInput } from "./inputs";
import { reasonTags } from "@/lib/instances/reason-tags";
import { isTerminal } from "@/lib/state-machine";
import { lockGate } from "./lock-gate";
import { continueAfterGate, failAtGate } from "./outcome";
import { isSatisfied, mayDecide, progressLabel } from "./rules";

/**
 * `heldBy`: who holds the instance paused once the decision is recorded, or null. An approval that
 * settles a gate of a paused instance lets it through only when the instance is resumed.
 */
export type DecisionResult = { gate: Gate; outcome: "recorded" | "approved" | "rejected"; progress: string; heldBy: string | null };

export async function approveGate(db: Db, raw: ApproveInput | Untrusted, user: SessionUser): Promise<DecisionResult> {
  const input = parseInput(approveInputSchema, raw);
  return decide(db, input.gateId, "approve", input.comment ?? null, user, {});
}

export async function rejectGate(db: Db, raw: RejectInput | Untrusted, user: SessionUser): Promise<DecisionResult> {
  const input = parseInput(rejectInputSchema, raw);
  return decide(db, input.gateId, "reject", input.comment, user, reasonTags(input));
}

/**
 * One decision, in one transaction with the instance and gate locked: check the rules, record
 * the decision, and when it settles the gate, move the instance on (or fail it). Two approvers
 * clicking at once serialise on the lock; the second finds the gate decided and is told by whom.
 */
async function decide(db: Db, gateId: string, decision: "approve" | "reject", comment: string | null, user: SessionUser, tags: ReturnType<typeof reasonTags>): Promise<DecisionResult> {
  return db.transaction(async (tx) => {
    const { instance, gate, decisions, delegations } = await lockGate(tx, gateId);
    // endInstance withdraws an ending instance's gates; one left pending by an ending before it did is not signable either.
    if (isTerminal(instance.status) && gate.status === "pending") throw conflict(`This gate's instance has ended (${instance.status.replace("_", " ")}); it can no longer be decided`);
    const verdict = mayDecide(user, { gate, decisions, delegations, startedById: instance.startedById });
    if (!verdict.ok) throw new AppError(verdict.code, verdict.message);

    const [row] = await tx.insert(gateDecisions).values({ gateId, userId: user.id, userLabel: user.email, userRole: user.role, decision, comment, category: tags.category ?? null, ticketUrl: tags.ticketUrl ?? null }).returning();
    const all = [...decisions, row!];
    const settled = decision === "reject" ? "rejected" : isSatisfied(gate, all) ? "approved" : null;
    const progress = progressLabel(gate, all);

    let updated = gate;
    let move: { from: Instance["status"]; to: Instance["status"] } | null = null;
    if (settled) {
      // Decided before the instance moves, so that a failing instance's ending withdraws only its other gates.
      [updated] = (await tx.update(gates).set({ status: settled, decidedAt: new Date() }).where(eq(gates.id, gateId)).returning()) as [Gate];
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
      details: { gateId, stage: gate.stage, progress, settled, ...(settled ? { waitedMs: Date.now() - gate.requestedAt.getTime() } : {}), ...tags },
    });
    if (settled === "rejected") await failAtGate(tx, instance, updated, `Gate "${gate.stage}" rejected by ${user.email}: ${comment}`, actorOf(user));
    await enqueueApprovalEvent(tx, "workflow.approval.decided", instance.id, { gate: updated, decision: row });
    // A rejection has just ended the instance, and an ended instance is held by no one.
    const heldBy = settled !== "rejected" && (move?.to ?? instance.status) === "paused" ? instance.pausedByLabel : null;
    return { gate: updated, outcome: settled ?? "recorded", progress, heldBy };
  });
}

type Instance = Awaited<ReturnType<typeof lockGate>>["instance"];
