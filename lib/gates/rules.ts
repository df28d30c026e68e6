import type { Gate, GateDecision, GateDelegation, Role } from "@/db/schema";
import { can, type SessionUser } from "@/lib/auth/permissions";

export type GateFacts = {
  gate: Pick<Gate, "status" | "mode" | "required" | "approverRole" | "approvers" | "groups" | "roles" | "requestedById" | "escalatedAt" | "escalateTo">;
  decisions: Pick<GateDecision, "userId" | "userLabel" | "userRole" | "decision" | "createdAt">[];
  delegations: Pick<GateDelegation, "fromUserId" | "fromLabel" | "toUserId" | "toLabel">[];
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
  const turn = turnOf(user, facts);
  return turn.ok ? { ok: true } : turn;
}

type Turn = { ok: true; why: string } | { ok: false; code: "forbidden" | "conflict"; message: string };

/** Why this user holds a turn on the gate of their own (the part of mayDecide after the refusals every gate shares). */
function turnOf(user: DelegateCandidate, facts: GateFacts): Turn {
  const { gate, decisions, delegations } = facts;
  const received = delegations.find((d) => d.toUserId === user.id);
  if (received) return { ok: true, why: `delegated by ${received.fromLabel}` };
  if (gate.escalatedAt && gate.escalateTo.some((e) => sameEmail(e, user.email))) return { ok: true, why: "added when the gate escalated" };
  if (gate.approvers.length > 0 || gate.groups.length > 0) {
    if (gate.approvers.some((e) => sameEmail(e, user.email))) return { ok: true, why: "a named approver" };
    const group = gate.groups.find((g) => user.groups?.includes(g));
    if (group) return { ok: true, why: `a member of ${group}` };
    const who = [...gate.approvers, ...gate.groups.map((g) => `members of ${g}`)].join(", ");
    return { ok: false, code: "forbidden", message: `Only these may decide this gate: ${who}` };
  }
  const refused = roleRefusal(gate, user);
  if (refused) return { ok: false, code: "forbidden", message: refused };
  if (gate.mode === "per_role") {
    const signed = decisions.find((d) => d.userRole === user.role && d.decision === "approve");
    if (signed) return { ok: false, code: "conflict", message: `The ${user.role} role has already signed this gate (${signed.userLabel})` };
    return { ok: true, why: `any ${user.role} may sign for that role` };
  }
  return { ok: true, why: gate.approverRole ? `any ${gate.approverRole} may decide it` : "any approver may decide it" };
}

/**
 * What a gate asks of a decider's role, apart from any names or groups; null when the role will
 * do. Who may stand in for the gate's role is the permission matrix's rule (`gates:decide-any-role`).
 */
function roleRefusal(gate: GateFacts["gate"], who: DelegateCandidate): string | null {
  if (gate.mode === "per_role" && !gate.roles.includes(who.role)) return `This gate needs one approver from each of: ${gate.roles.join(", ")}`;
  if (gate.approverRole && who.role !== gate.approverRole && !can(who, "gates:decide-any-role")) return `Only ${withArticle(gate.approverRole)} may decide this gate`;
  return null;
}

/** Someone a turn might be passed to: a user row with the groups that gates check. */
export type DelegateCandidate = Pick<SessionUser, "id" | "email" | "name" | "role" | "groups">;

export type DelegationVerdict = { ok: true } | { ok: false; code: "invalid" | "conflict"; message: string; field: string };

/**
 * Whether `delegate` may take the turn `from` holds on this gate (the caller has already checked,
 * with mayDecide, that `from` may decide it now). A delegate must be someone the gate's rule
 * would accept apart from its named lists (an approver role; a member of the gate's groups if it
 * has any; the gate's role if it names one), who is not `from`, did not start the instance or
 * ask for the approval, has not decided or passed on their own turn, and holds no turn already:
 * a turn passed to someone who has one is lost, and an all-of or N-of-M gate may never complete.
 * Refusals: `invalid` (400) when the person does not fit the gate, `conflict` (409) when the
 * gate's decisions and delegations so far rule them out; `message` says why, `field` is the
 * short form for the delegate field of a form.
 */
export function mayReceiveDelegation(facts: GateFacts, from: Pick<SessionUser, "id">, delegate: DelegateCandidate): DelegationVerdict {
  const { gate, decisions, delegations } = facts;
  const who = delegate.email;
  const refuse = (code: "invalid" | "conflict", message: string, field: string): DelegationVerdict => ({ ok: false, code, message, field });
  if (delegate.id === from.id) return refuse("invalid", "Delegate to someone else", "That is you");
  if (!can(delegate, "gates:decide")) return refuse("invalid", `${who} cannot decide approval gates: they are ${withArticle(delegate.role)}`, "Not an approver");
  if (delegate.id === facts.startedById) return refuse("invalid", `${who} started this instance, so they may not approve it`, "They started this instance");
  if (delegate.id === gate.requestedById) return refuse("invalid", `${who} asked for this approval, so they may not approve it`, "They asked for this approval");
  const decided = decisions.find((d) => d.userId === delegate.id);
  if (decided) return refuse("conflict", `${who} already ${decided.decision === "approve" ? "approved" : "rejected"} this gate at ${decided.createdAt.toISOString()}`, "Already decided");
  const passedOn = delegations.find((d) => d.fromUserId === delegate.id);
  if (passedOn) return refuse("conflict", `${who} passed their own turn on this gate to ${passedOn.toLabel}`, "Passed their own turn on");
  if (gate.groups.length > 0 && !gate.groups.some((g) => delegate.groups?.includes(g))) {
    return refuse("invalid", `Only members of ${gate.groups.join(", ")} may decide this gate; ${who} is not one`, "Not in the gate's group");
  }
  const role = roleRefusal(gate, delegate);
  if (role) return refuse("invalid", `${role}; ${who} is ${withArticle(delegate.role)}`, "Wrong role for this gate");
  const turn = turnOf(delegate, facts);
  if (turn.ok) return refuse("conflict", `${who} already holds a turn on this gate (${turn.why}); delegating to them would leave your turn unused`, "Already holds a turn");
  return { ok: true };
}

const withArticle = (role: Role) => `${/^[aeiou]/.test(role) ? "an" : "a"} ${role}`;

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

/** Who may approve a gate, in words: the same phrase on its card and beside a waiting instance. */
export function whoMayApprove(gate: Pick<Gate, "approvers" | "groups" | "mode" | "roles" | "approverRole">): string {
  if (gate.approvers.length || gate.groups.length) return [...gate.approvers, ...gate.groups.map((g) => `group ${g}`)].join(", ");
  if (gate.mode === "per_role") return `one each: ${gate.roles.join(", ")}`;
  return gate.approverRole ?? "any approver";
}
