import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { gateDelegations, users, type GateDelegation } from "@/db/schema";
import { actorOf, can, type SessionUser } from "@/lib/auth/permissions";
import { AppError, invalid } from "@/lib/errors";
import { enqueueApprovalEvent } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { parseInput, type Untrusted } from "@/lib/validate";
import { delegateInputSchema, type DelegateInput } from "./inputs";
import { lockGate } from "./lock-gate";
import { mayDecide } from "./rules";

/**
 * Passes the caller's turn on a gate to another approver, recorded. The caller must be able to
 * decide the gate now; the delegate must be an approver who could not otherwise be refused for
 * self-approval, and who has not decided yet.
 */
export async function delegateGate(db: Db, raw: DelegateInput | Untrusted, user: SessionUser): Promise<GateDelegation> {
  const input = parseInput(delegateInputSchema, raw);
  return db.transaction(async (tx) => {
    const { instance, gate, decisions, delegations } = await lockGate(tx, input.gateId);
    const verdict = mayDecide(user, { gate, decisions, delegations, startedById: instance.startedById });
    if (!verdict.ok) throw new AppError(verdict.code, verdict.message);

    const [to] = await tx.select().from(users).where(eq(users.email, input.to.toLowerCase()));
    const toUser = to ? { id: to.id, email: to.email, name: to.name, role: to.role } : null;
    if (!toUser || !can(toUser, "gates:decide")) throw invalid("Delegate to someone who can approve", { to: ["No approver has this email"] });
    if (toUser.id === user.id) throw invalid("Delegate to someone else", { to: ["That is you"] });
    if (toUser.id === instance.startedById || toUser.id === gate.requestedById) throw invalid("They started this instance and may not approve it", { to: ["They started this instance"] });
    if (decisions.some((d) => d.userId === toUser.id)) throw invalid("They have already decided this gate", { to: ["Already decided"] });

    const [row] = await tx
      .insert(gateDelegations)
      .values({ gateId: gate.id, fromUserId: user.id, fromLabel: user.email, toUserId: toUser.id, toLabel: toUser.email, reason: input.reason })
      .returning();
    await appendHistory(tx, {
      instanceId: instance.id,
      workflowKey: instance.workflowKey,
      action: "gate_delegated",
      actor: actorOf(user),
      reason: input.reason,
      details: { gateId: gate.id, stage: gate.stage, to: toUser.email },
    });
    await enqueueApprovalEvent(tx, "workflow.approval.delegated", instance.id, { gate, delegation: row });
    return row!;
  });
}
