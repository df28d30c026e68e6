import type { Actor, PauseKind } from "@/lib/domain";

/*
 * The actors that are not people, in one place. History rows, pause columns and events name
 * them by label; auditors filter on these labels and tests find rows by them, so each is
 * spelled here and only here (test/unit/one-home.test.ts holds everyone else to it).
 */

/** The worker runtime: it waits at gates, pauses at `pauseBefore` checkpoints, completes and fails instances, runs hooks. */
export const engineActor: Actor = { id: null, label: "engine" };

/** The clocks: workflow deadlines (timed_out) and gate expiry and escalation. */
export const clockActor: Actor = { id: null, label: "system:clock" };

/** A pause's `resumeAt` reached: the worker resumes it. */
export const scheduleActor: Actor = { id: null, label: "system:schedule" };

/** A step that asked to pause its own workflow (`ctx.pauseWorkflow(reason)`); `key` is a step key (STEP_KEY_PATTERN). */
export const stepActor = (key: string): Actor => ({ id: null, label: `step:${key}` });

/** A named schedule that starts instances (the demo driver, `schedule:demo`; seeded nightly runs, `schedule:nightly`). */
export const startScheduleActor = (name: string): Actor => ({ id: null, label: `schedule:${name}` });

/**
 * A maintenance window (lib/maintenance/): it pauses its workflows and their running instances
 * when it starts and resumes them when it ends. Its label names the window, so an instance's
 * "Paused by" and an auditor's actor filter both lead to it; the end resumes only what this
 * label still holds.
 */
/** The prefix of every window's label; SQL that matches window labels takes it from here. */
export const WINDOW_PREFIX = "window:";
export const windowActor = (windowId: string): Actor => ({ id: null, label: `${WINDOW_PREFIX}${windowId}` });
/** The window id in a `window:<id>` label, or null for any other actor. */
export const windowIdOf = (label: string | null | undefined): string | null => (label?.startsWith(WINDOW_PREFIX) ? label.slice(WINDOW_PREFIX.length) : null);

/**
 * What a pause's actor label means, for a person reading "Paused by": null for a person (their
 * email says it), a sentence for the actors above, whose labels are terse by design (auditors
 * filter on them).
 */
export function pauserExplanation(label: string, kind: PauseKind | null): string | null {
  if (label.startsWith("step:")) return `the step ${label.slice("step:".length)} asked to pause`;
  if (label === engineActor.label) return kind === "checkpoint" ? "the engine stopped at a pauseBefore checkpoint, a review point in the workflow" : "the engine paused it";
  if (windowIdOf(label)) return "a maintenance window paused it; it resumes when the window ends";
  if (label === scheduleActor.label) return "a schedule paused it (a maintenance window)";
  if (label === clockActor.label) return "the clock paused it";
  return null;
}
