import type { Gate, GateDecision, GateDelegation, Role, StepSpec } from "@/db/schema";
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

/**
 * Whether the approvals so far meet the gate's mode. On a gate with options each option's
 * approvals count on their own: `option` (the one just chosen) passes the gate once its own
 * approvals meet the quorum, so two approvers who chose differently have not agreed on a path.
 */
export function isSatisfied(gate: Pick<Gate, "mode" | "required" | "roles">, decisions: Pick<GateDecision, "userId" | "userRole" | "decision" | "option">[], option: string | null = null): boolean {
  const approvals = decisions.filter((d) => d.decision === "approve" && (option === null || d.option === option));
  if (gate.mode === "per_role") return gate.roles.every((role) => approvals.some((d) => d.userRole === role));
  return new Set(approvals.map((d) => d.userId)).size >= gate.required;
}

/**
 * Approvals a percent gate needs: `percent` % of `eligible` people, rounded up, and at least one
 * (60 % of 3 is 1.8, so 2; 50 % of 4 is exactly 2). Integer arithmetic, so no float rounding error.
 */
export function percentRequired(percent: number, eligible: number): number {
  return Math.max(1, Math.ceil((percent * eligible) / 100));
}

/**
 * Whether `person` is one of the people a gate counts as eligible to decide it (the base of a
 * percent gate's quorum): someone with a turn of their own under the gate's rule (named, in a
 * group, added by escalation, or of the gate's role), who may decide gates, did not start the
 * instance or ask for the approval. Decisions and delegations do not change the count: a
 * delegate takes a turn that was already counted.
 */
export function isEligible(person: DelegateCandidate, facts: Omit<GateFacts, "decisions" | "delegations">): boolean {
  if (!can(person, "gates:decide")) return false;
  if (person.id === facts.startedById || person.id === facts.gate.requestedById) return false;
  return turnOf(person, { ...facts, decisions: [], delegations: [] }).ok;
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
export function progressLabel(gate: Pick<Gate, "mode" | "required" | "roles"> & Partial<Pick<Gate, "percent">>, decisions: (Pick<GateDecision, "decision" | "userRole"> & Partial<Pick<GateDecision, "option">>)[]): string {
  const approvals = decisions.filter((d) => d.decision === "approve");
  if (gate.mode === "per_role") {
    const signed = gate.roles.filter((r) => approvals.some((d) => d.userRole === r));
    return `${signed.length} of ${gate.roles.length} roles signed`;
  }
  // On a gate with options each path counts on its own (see isSatisfied): show the leading one's count, and each path's.
  const byOption = new Map<string, number>();
  for (const d of approvals) if (d.option) byOption.set(d.option, (byOption.get(d.option) ?? 0) + 1);
  const count = byOption.size ? Math.max(...byOption.values()) : approvals.length;
  const paths = byOption.size > 1 ? ` (${[...byOption].map(([o, n]) => `${o}: ${n}`).join(", ")})` : "";
  const of = `${count} of ${gate.required} approval${gate.required === 1 ? "" : "s"}${paths}`;
  return gate.mode === "percent" && gate.percent ? `${of} (${gate.percent} % of eligible approvers)` : of;
}

/**
 * A percent gate's quorum in words, from the count of people eligible now (eligible.ts):
 * "2 of 3 approvers (60 %)", the approvals it needs (percentRequired, rounded up) of everyone who
 * may decide it. Null for every other mode, whose progress label says it already.
 */
export function percentQuorumLabel(gate: Pick<Gate, "mode"> & Partial<Pick<Gate, "percent">>, eligible: number): string | null {
  if (gate.mode !== "percent" || !gate.percent) return null;
  return `${percentRequired(gate.percent, eligible)} of ${eligible} approver${eligible === 1 ? "" : "s"} (${gate.percent} %)`;
}

/** Who may approve a gate, in words: the same phrase on its card and beside a waiting instance. */
export function whoMayApprove(gate: Pick<Gate, "approvers" | "groups" | "mode" | "roles" | "approverRole">): string {
  if (gate.approvers.length || gate.groups.length) return [...gate.approvers, ...gate.groups.map((g) => `group ${g}`)].join(", ");
  if (gate.mode === "per_role") return `one each: ${gate.roles.join(", ")}`;
  return gate.approverRole ?? "any approver";
}

/**
 * The steps a gate's branches lead to (its options' `next` steps and its expiry step), and which
 * of them are left out when the gate passes by `option` (null: a plain approval or a "continue"
 * expiry, which takes no branch, so every branch step is left out). `expiry`: the gate expired
 * to its expiry step, which is then the branch taken.
 */
export function unchosenBranches(gate: Pick<Gate, "options" | "onExpiry" | "expiryStep">, chosen: { option: string | null } | { expiry: true }): string[] {
  const targets = new Set([...gate.options.map((o) => o.next), ...(gate.onExpiry === "step" && gate.expiryStep ? [gate.expiryStep] : [])]);
  const taken = "expiry" in chosen ? gate.expiryStep : (gate.options.find((o) => o.name === chosen.option)?.next ?? null);
  if (taken) targets.delete(taken);
  return [...targets];
}

/**
 * The steps to skip when `left` branch steps are not taken: those, and every step downstream
 * whose dependencies are all skipped (a join with one branch that ran still runs: skipped
 * dependencies count as done, like Airflow's none_failed_min_one_success). Steps already run
 * are never skipped. Returns keys in the workflow's order.
 */
export function stepsToSkip(specs: Pick<StepSpec, "key" | "dependsOn">[], left: string[], alreadyRun: ReadonlySet<string>): string[] {
  const known = new Set(specs.map((s) => s.key));
  const skipped = new Set(left.filter((k) => known.has(k) && !alreadyRun.has(k)));
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of specs) {
      if (skipped.has(s.key) || alreadyRun.has(s.key) || !s.dependsOn.length) continue;
      if (s.dependsOn.every((d) => skipped.has(d))) {
        skipped.add(s.key);
        grew = true;
      }
    }
  }
  return specs.filter((s) => skipped.has(s.key)).map((s) => s.key);
}
