import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { gateDelegations, users, type GateDelegation } from "@/db/schema";
import { actorOf, type SessionUser } from "@/lib/auth/permissions";
import { AppError, invalid } from "@/lib/errors";
import { enqueueApprovalEvent } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { parseInput, type Untrusted } from "@/lib/validate";
import { delegateInputSchema, type DelegateInput } from "./inputs";
import { lockGate } from "./lock-gate";
import { mayDecide, mayReceiveDelegation } from "./rules";

/**
 * Passes the caller's turn on a gate to another approver, recorded (delegation row, history
 * row and event in one transaction, with the instance and gate locked). The caller must be able
 * to decide the gate now (mayDecide); the delegate must fit the gate's rule and hold no turn of
 * their own (mayReceiveDelegation, the one home of that rule). Input `{ gateId, to: email,
 * reason }`. Errors (AppError): 400 `invalid` for bad input or a delegate the gate would not
 * accept, 409 `conflict` when the decisions and delegations so far rule the delegate out, both
 * with the reason in `message` and `fields.to`; 403/409 from mayDecide; 404 for an unknown gate.
 * A refusal writes nothing.
 */
export async function delegateGate(db: Db, raw: DelegateInput | Untrusted, user: SessionUser): Promise<GateDelegation> {
  const input = parseInput(delegateInputSchema, raw);
  return db.transaction(async (tx) => {
    const { instance, gate, decisions, delegations } = await lockGate(tx, input.gateId);
    const facts = { gate, decisions, delegations, startedById: instance.startedById };
    const verdict = mayDecide(user, facts);
    if (!verdict.ok) throw new AppError(verdict.code, verdict.message);

    const [toUser] = await tx.select({ id: users.id, email: users.email, name: users.name, role: users.role, groups: users.groups }).from(users).where(eq(users.email, input.to.toLowerCase()));
    if (!toUser) throw invalid("Delegate to someone who can approve", { to: ["No approver has this email"] });
    const allowed = mayReceiveDelegation(facts, user, toUser);
    if (!allowed.ok) throw new AppError(allowed.code, allowed.message, { to: [allowed.field] });

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
