import type { Gate, GateDecision, GateDelegation } from "@/db/schema";
import { can, type SessionUser } from "@/lib/auth/permissions";

export type GateFacts = {
  gate: Pick<Gate, "status" | "mode" | "required" | "approverRole" | "approvers" | "groups" | "roles" | "requestedById" | "escalatedAt" | "escalateTo">;
  decisions: Pick<GateDecision, "userId" | "userLabel" | "userRole" | "decision" | "createdAt">[];
  delegations: Pick<GateDelegation, "fromUserId" | "toUserId" | "toLabel">[];
  startedById: string | null;
};

export type Verdict = { ok: true } | { ok: false; code: "forbidden" | "conflict"; message: string };

const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Whether this user may decide this gate now. The rules, in one place: approvers only; never
 * the person who started the instance or requested the approval, whatever their role; one
 * decision each; named approvers, a role, or one per listed role; a delegate takes the turn.
 */
export function mayDecide(user: SessionUser, facts: GateFacts): Verdict {
  const { gate, decisions, delegations } = facts;
  if (!can(user, "gates:decide")) return { ok: false, code: "forbidden", message: `The ${user.role} role cannot decide approval gates` };
  if (gate.status !== "pending") return { ok: false, code: "conflict", message: decidedMessage(gate.status, decisions) };
  if (user.id === facts.startedById || user.id === gate.requestedById) {
    return { ok: false, code: "forbidden", message: "You started this instance or asked for this approval; another approver must decide" };
  }
  const handedOff = delegations.find((d) => d.fromUserId === user.id);
  if (handedOff) return { ok: false, code: "forbidden", message: `You delegated your turn to ${handedOff.toLabel}` };
  const mine = decisions.find((d) => d.userId === user.id);
  if (mine) return { ok: false, code: "conflict", message: `You already ${mine.decision === "approve" ? "approved" : "rejected"} this gate at ${mine.createdAt.toISOString()}` };
  if (delegations.some((d) => d.toUserId === user.id)) return { ok: true };
  if (gate.escalatedAt && gate.escalateTo.some((e) => sameEmail(e, user.email))) return { ok: true };
  if (gate.approvers.length > 0 || gate.groups.length > 0) {
    const named = gate.approvers.some((e) => sameEmail(e, user.email));
    const member = gate.groups.some((g) => user.groups?.includes(g));
    if (named || member) return { ok: true };
    const who = [...gate.approvers, ...gate.groups.map((g) => `members of ${g}`)].join(", ");
    return { ok: false, code: "forbidden", message: `Only these may decide this gate: ${who}` };
  }
  if (gate.mode === "per_role") {
    if (!gate.roles.includes(user.role)) return { ok: false, code: "forbidden", message: `This gate needs one approver from each of: ${gate.roles.join(", ")}` };
    const signed = decisions.find((d) => d.userRole === user.role && d.decision === "approve");
    if (signed) return { ok: false, code: "conflict", message: `The ${user.role} role has already signed this gate (${signed.userLabel})` };
    return { ok: true };
  }
  if (gate.approverRole && user.role !== gate.approverRole && user.role !== "admin") {
    return { ok: false, code: "forbidden", message: `Only a${gate.approverRole === "admin" ? "n" : ""} ${gate.approverRole} may decide this gate` };
  }
  return { ok: true };
}

/** Whether the approvals so far meet the gate's mode. */
export function isSatisfied(gate: Pick<Gate, "mode" | "required" | "roles">, decisions: Pick<GateDecision, "userId" | "userRole" | "decision">[]): boolean {
  const approvals = decisions.filter((d) => d.decision === "approve");
  if (gate.mode === "per_role") return gate.roles.every((role) => approvals.some((d) => d.userRole === role));
  return new Set(approvals.map((d) => d.userId)).size >= gate.required;
}

export function decidedMessage(status: Gate["status"], decisions: GateFacts["decisions"]): string {
  const last = decisions.at(-1);
  const by = last ? ` by ${last.userLabel} at ${last.createdAt.toISOString()}` : "";
  switch (status) {
    case "approved":
      return `This gate was already approved${by}`;
    case "rejected":
      return `This gate was already rejected${by}`;
    case "expired":
      return "This gate expired before it was decided";
    case "withdrawn":
      return "This gate was withdrawn: its instance has ended";
    default:
      return "This gate is still pending";
  }
}

/** "1 of 2 approvals" for any gate mode. */
export function progressLabel(gate: Pick<Gate, "mode" | "required" | "roles">, decisions: Pick<GateDecision, "decision" | "userRole">[]): string {
  const approvals = decisions.filter((d) => d.decision === "approve");
  if (gate.mode === "per_role") {
    const signed = gate.roles.filter((r) => approvals.some((d) => d.userRole === r));
    return `${signed.length} of ${gate.roles.length} roles signed`;
  }
  return `${approvals.length} of ${gate.required} approval${gate.required === 1 ? "" : "s"}`;
}
