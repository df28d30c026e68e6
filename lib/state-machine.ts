import type { InstanceStatus } from "@/db/schema";

/**
 * The one place that decides which status changes are legal. Use cases, the engine and
 * the UI (to hide impossible controls) all ask here; none re-implements the table.
 */
export type Command = "start" | "pause" | "resume" | "escalate" | "wait" | "continue" | "complete" | "fail" | "cancel" | "time_out" | "retry";

export const terminalStatuses: readonly InstanceStatus[] = ["completed", "failed", "cancelled", "timed_out"];

/** The commands that end an instance; each lands in a terminal status (see endInstance). */
export type EndCommand = "complete" | "fail" | "cancel" | "time_out";

const table: Record<Command, Partial<Record<InstanceStatus, InstanceStatus>>> = {
  // An instance is stored `pending` and started in the same transaction (startInstance).
  start: { pending: "running" },
  // Not from `pending`: nothing has run yet, and a resume would have nowhere to return to.
  pause: { running: "paused", waiting: "paused" },
  // The target of resume depends on what the pause interrupted; see resumeTarget.
  resume: { paused: "running" },
  // A graceful pause still draining made immediate: the status stays paused, running steps are
  // interrupted (escalatePause, which also requires steps still running and a graceful pause).
  escalate: { paused: "paused" },
  wait: { running: "waiting" },
  continue: { waiting: "running" },
  complete: { running: "completed" },
  fail: { running: "failed", waiting: "failed", paused: "failed" },
  cancel: { pending: "cancelled", running: "cancelled", waiting: "cancelled", paused: "cancelled" },
  time_out: { running: "timed_out", waiting: "timed_out", paused: "timed_out" },
  // A failed instance runs again from its failed step(s) (retryInstance). Not a timed-out one: its
  // deadline is what ended it, and running it again would only time it out again; start a new one.
  retry: { failed: "running" },
};

export type Transition = { ok: true; from: InstanceStatus; to: InstanceStatus } | { ok: false; from: InstanceStatus; message: string };

/**
 * Whether `command` may move an instance out of `from`, and to what; a refusal carries a message
 * for a person. `pausedFrom` (the instance's pausedFromStatus) is needed only by `resume`.
 */
export function transition(
  from: InstanceStatus,
  command: Command,
  options: { pausedFrom?: InstanceStatus | null } = {},
): Transition {
  const to = table[command][from];
  if (!to) return { ok: false, from, message: illegalMessage(from, command) };
  if (command === "resume") return { ok: true, from, to: resumeTarget(options.pausedFrom) };
  return { ok: true, from, to };
}

/** A paused instance that was waiting at a gate goes back to waiting; anything else runs. */
export function resumeTarget(pausedFrom: InstanceStatus | null | undefined): InstanceStatus {
  return pausedFrom === "waiting" ? pausedFrom : "running";
}

/** Where passGate leaves an instance: the status to store, and the pausedFromStatus to store (null unless paused). */
export type GatePass = { ok: true; from: InstanceStatus; to: InstanceStatus; pausedFrom: InstanceStatus | null } | { ok: false; from: InstanceStatus; message: string };

/**
 * What a gate letting the instance through does to it (an approval, or an expiry that continues).
 * A waiting instance runs again (`continue`). A paused one stays paused, and the `continue` applies
 * to what the pause interrupted instead: `pausedFrom` is where resume will now return to. A running
 * one (another gate let it through already) stays running. An ended one is refused: its gates were
 * withdrawn when it ended, so nothing may be queued in it.
 */
export function passGate(from: InstanceStatus, pausedFrom: InstanceStatus | null | undefined): GatePass {
  if (from === "paused") return { ok: true, from, to: from, pausedFrom: pausedFrom ? (table.continue[pausedFrom] ?? pausedFrom) : null };
  if (from === "running") return { ok: true, from, to: from, pausedFrom: null };
  const t = transition(from, "continue");
  return t.ok ? { ...t, pausedFrom: null } : t;
}

/**
 * Whether the state machine allows `command` from `from` (the UI hides controls it does not).
 * Not to be confused with lib/auth/permissions.ts's `can`, which asks whether a role may.
 */
export function allows(from: InstanceStatus, command: Command): boolean {
  return table[command][from] !== undefined;
}

/** The statuses `command` may move an instance out of (a bulk operation targets only these). */
export function statusesAllowing(command: Command): InstanceStatus[] {
  return Object.keys(table[command]) as InstanceStatus[];
}

export const isTerminal = (status: InstanceStatus) => terminalStatuses.includes(status);

function illegalMessage(from: InstanceStatus, command: Command): string {
  if (command === "retry") {
    if (from === "timed_out") return "A timed out instance cannot be retried: its deadline passed. Start a new instance instead";
    return `Only a failed instance can be retried; this one is ${from.replace("_", " ")}`;
  }
  if (command === "pause" && from === "paused") return "The instance is already paused";
  if (command === "escalate" && !isTerminal(from)) return `Only a paused instance can be paused immediately; this one is ${from}`;
  if (command === "resume" && !isTerminal(from)) return `Only a paused instance can be resumed; this one is ${from}`;
  if (isTerminal(from)) return `The instance has ended (${from.replace("_", " ")}); it cannot be ${pastTense[command]}`;
  return `A ${from} instance cannot be ${pastTense[command]}`;
}

const pastTense: Record<Command, string> = {
  start: "started",
  pause: "paused",
  resume: "resumed",
  escalate: "paused immediately",
  wait: "made to wait",
  continue: "continued",
  complete: "completed",
  fail: "failed",
  cancel: "cancelled",
  time_out: "timed out",
  retry: "retried",
};
