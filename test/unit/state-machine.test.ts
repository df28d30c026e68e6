import { describe, expect, it } from "vitest";
import { instanceStatuses, type InstanceStatus } from "@/db/schema";
import { allows, isTerminal, passGate, resumeTarget, terminalStatuses, transition, type Command, type EndCommand } from "@/lib/state-machine";

// The whole table, spelled out independently of the module, so a changed rule fails here.
const legal: Record<Command, Partial<Record<InstanceStatus, InstanceStatus>>> = {
  start: { pending: "running" },
  pause: { running: "paused", waiting: "paused" },
  resume: { paused: "running" },
  escalate: { paused: "paused" },
  wait: { running: "waiting" },
  continue: { waiting: "running" },
  complete: { running: "completed" },
  fail: { running: "failed", waiting: "failed", paused: "failed" },
  cancel: { pending: "cancelled", running: "cancelled", waiting: "cancelled", paused: "cancelled" },
  time_out: { running: "timed_out", waiting: "timed_out", paused: "timed_out" },
  retry: { failed: "running" },
};

describe("state machine", () => {
  for (const command of Object.keys(legal) as Command[]) {
    for (const from of instanceStatuses) {
      const to = legal[command][from];
      it(`${command} from ${from} → ${to ?? "refused"}`, () => {
        const result = transition(from, command);
        expect(allows(from, command)).toBe(to !== undefined);
        if (to) expect(result).toEqual({ ok: true, from, to });
        else {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.message.length).toBeGreaterThan(10);
        }
      });
    }
  }

  it("resume returns to what the pause interrupted", () => {
    expect(transition("paused", "resume", { pausedFrom: "waiting" })).toEqual({ ok: true, from: "paused", to: "waiting" });
    expect(transition("paused", "resume", { pausedFrom: "running" })).toEqual({ ok: true, from: "paused", to: "running" });
    expect(transition("paused", "resume", { pausedFrom: null })).toEqual({ ok: true, from: "paused", to: "running" });
    expect(resumeTarget("pending")).toBe("running");
    expect(resumeTarget("completed")).toBe("running");
  });

  it("explains refusals in words a person can act on", () => {
    expect(transition("paused", "pause")).toMatchObject({ ok: false, message: "The instance is already paused" });
    expect(transition("running", "resume")).toMatchObject({ ok: false, message: "Only a paused instance can be resumed; this one is running" });
    expect(transition("completed", "pause")).toMatchObject({ ok: false, message: "The instance has ended (completed); it cannot be paused" });
    expect(transition("timed_out", "resume")).toMatchObject({ ok: false, message: "The instance has ended (timed out); it cannot be resumed" });
  });

  it("a gate letting the instance through: waiting runs, paused stays paused and will resume running, ended is refused", () => {
    expect(passGate("waiting", null)).toEqual({ ok: true, from: "waiting", to: "running", pausedFrom: null });
    expect(passGate("paused", "waiting")).toEqual({ ok: true, from: "paused", to: "paused", pausedFrom: "running" });
    expect(passGate("paused", "running")).toEqual({ ok: true, from: "paused", to: "paused", pausedFrom: "running" });
    expect(passGate("paused", null)).toEqual({ ok: true, from: "paused", to: "paused", pausedFrom: null });
    // Another gate of the instance let it through already.
    expect(passGate("running", null)).toEqual({ ok: true, from: "running", to: "running", pausedFrom: null });
    for (const from of [...terminalStatuses, "pending" as const]) {
      const t = passGate(from, null);
      expect(t.ok, from).toBe(false);
      if (!t.ok) expect(t.message.length).toBeGreaterThan(10);
    }
    expect(passGate("failed", null)).toMatchObject({ message: "The instance has ended (failed); it cannot be continued" });
  });
});

/**
 * Properties of the whole table, checked over every state rather than sampled: an instance's
 * state is its status and, while paused, what the pause interrupted (8 × 10 commands), so
 * enumerating it is complete where random generation would only be likely to be.
 */
describe("state machine properties", () => {
  const commands = Object.keys(legal) as Command[];
  const ends: Record<EndCommand, InstanceStatus> = { complete: "completed", fail: "failed", cancel: "cancelled", time_out: "timed_out" };
  type State = { status: InstanceStatus; pausedFrom: InstanceStatus | null };
  const key = (s: State) => `${s.status}/${s.pausedFrom ?? "-"}`;

  /** Every next state: each legal command (a pause records what it interrupted), and a gate passing. */
  function next(s: State): State[] {
    const out: State[] = [];
    for (const command of commands) {
      const t = transition(s.status, command, { pausedFrom: s.pausedFrom });
      // A pause records what it interrupted; a paused → paused change (escalate) keeps what the pause interrupted.
      if (t.ok) out.push({ status: t.to, pausedFrom: t.to === "paused" ? (s.status === "paused" ? s.pausedFrom : s.status) : null });
    }
    const g = passGate(s.status, s.pausedFrom);
    if (g.ok) out.push({ status: g.to, pausedFrom: g.pausedFrom });
    return out;
  }

  // Everything an instance can ever be, from where startInstance stores it.
  const reachable = new Map<string, State>();
  const queue: State[] = [{ status: "pending", pausedFrom: null }];
  while (queue.length) {
    const s = queue.shift()!;
    if (reachable.has(key(s))) continue;
    reachable.set(key(s), s);
    queue.push(...next(s));
  }

  it("every stored status is reachable from pending, and every status the table names is a stored one", () => {
    expect(new Set([...reachable.values()].map((s) => s.status))).toEqual(new Set(instanceStatuses));
    for (const command of commands) {
      for (const [from, to] of Object.entries(legal[command])) {
        expect(instanceStatuses).toContain(from);
        expect(instanceStatuses).toContain(to);
      }
    }
  });

  it("an ended instance never moves again, by any command or gate, but an operator's retry of a failed one", () => {
    for (const status of terminalStatuses) {
      for (const command of commands) expect(allows(status, command), `${command} from ${status}`).toBe(command === "retry" && status === "failed");
      expect(passGate(status, null).ok).toBe(false);
    }
  });

  it("only the ending commands end an instance, each always in its own status", () => {
    for (const from of instanceStatuses) {
      for (const command of commands) {
        const t = transition(from, command, { pausedFrom: "waiting" });
        if (!t.ok) continue;
        if (command in ends) expect(t.to, `${command} from ${from}`).toBe(ends[command as EndCommand]);
        else expect(isTerminal(t.to), `${command} from ${from}`).toBe(false);
      }
    }
  });

  it("every reachable state can still end: failing, cancelling or timing out is open to any instance not ended", () => {
    for (const s of reachable.values()) {
      if (isTerminal(s.status)) continue;
      expect(allows(s.status, "cancel"), `cancel from ${key(s)}`).toBe(true);
      if (s.status !== "pending") {
        expect(allows(s.status, "fail"), `fail from ${key(s)}`).toBe(true);
        expect(allows(s.status, "time_out"), `time_out from ${key(s)}`).toBe(true);
      }
    }
  });

  it("a pause always remembers a status resume can return to, and resume never lands paused, pending or ended", () => {
    for (const s of reachable.values()) {
      if (s.status !== "paused") continue;
      expect(["running", "waiting"], key(s)).toContain(s.pausedFrom);
      const t = transition(s.status, "resume", { pausedFrom: s.pausedFrom });
      expect(t.ok).toBe(true);
      if (t.ok) expect(["running", "waiting"]).toContain(t.to);
    }
  });
});

describe("retry", () => {
  it("says why a timed-out instance cannot be retried, and what to do instead", () => {
    expect(transition("timed_out", "retry")).toEqual({ ok: false, from: "timed_out", message: "A timed out instance cannot be retried: its deadline passed. Start a new instance instead" });
    expect(transition("paused", "retry")).toEqual({ ok: false, from: "paused", message: "Only a failed instance can be retried; this one is paused" });
  });
});
