import type { InstanceStatus } from "@/db/schema";

/**
 * The one place that decides which status changes are legal. Use cases, the engine and
 * the UI (to hide impossible controls) all ask here; none re-implements the table.
 */
export type Command = "start" | "pause" | "resume" | "wait" | "continue" | "complete" | "fail" | "cancel" | "time_out";

export const terminalStatuses: readonly InstanceStatus[] = ["completed", "failed", "cancelled", "timed_out"];

const table: Record<Command, Partial<Record<InstanceStatus, InstanceStatus>>> = {
  start: { pending: "running" },
  pause: { pending: "paused", running: "paused", waiting: "paused" },
  // The target of resume depends on what the pause interrupted; see resumeTarget.
  resume: { paused: "running" },
  wait: { running: "waiting" },
  continue: { waiting: "running" },
  complete: { running: "completed" },
  fail: { running: "failed", waiting: "failed", paused: "failed" },
  cancel: { pending: "cancelled", running: "cancelled", waiting: "cancelled", paused: "cancelled" },
  time_out: { running: "timed_out", waiting: "timed_out", paused: "timed_out" },
};

export type Transition = { ok: true; from: InstanceStatus; to: InstanceStatus } | { ok: false; from: InstanceStatus; message: string };

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
  return pausedFrom === "waiting" || pausedFrom === "pending" ? pausedFrom : "running";
}

export function can(from: InstanceStatus, command: Command): boolean {
  return table[command][from] !== undefined;
}

export const isTerminal = (status: InstanceStatus) => terminalStatuses.includes(status);

function illegalMessage(from: InstanceStatus, command: Command): string {
  if (command === "pause" && from === "paused") return "The instance is already paused";
  if (command === "resume" && !isTerminal(from)) return `Only a paused instance can be resumed; this one is ${from}`;
  if (isTerminal(from)) return `The instance has ended (${from.replace("_", " ")}); it cannot be ${pastTense[command]}`;
  return `A ${from} instance cannot be ${pastTense[command]}`;
}

const pastTense: Record<Command, string> = {
  start: "started",
  pause: "paused",
  resume: "resumed",
  wait: "made to wait",
  continue: "continued",
  complete: "completed",
  fail: "failed",
  cancel: "cancelled",
  time_out: "timed out",
};
