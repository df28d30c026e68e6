import { describe, expect, it } from "vitest";
import { instanceStatuses, type InstanceStatus } from "@/db/schema";
import { can, resumeTarget, transition, type Command } from "@/lib/state-machine";

// The whole table, spelled out independently of the module, so a changed rule fails here.
const legal: Record<Command, Partial<Record<InstanceStatus, InstanceStatus>>> = {
  start: { pending: "running" },
  pause: { pending: "paused", running: "paused", waiting: "paused" },
  resume: { paused: "running" },
  wait: { running: "waiting" },
  continue: { waiting: "running" },
  complete: { running: "completed" },
  fail: { running: "failed", waiting: "failed", paused: "failed" },
  cancel: { pending: "cancelled", running: "cancelled", waiting: "cancelled", paused: "cancelled" },
  time_out: { running: "timed_out", waiting: "timed_out", paused: "timed_out" },
};

describe("state machine", () => {
  for (const command of Object.keys(legal) as Command[]) {
    for (const from of instanceStatuses) {
      const to = legal[command][from];
      it(`${command} from ${from} → ${to ?? "refused"}`, () => {
        const result = transition(from, command);
        expect(can(from, command)).toBe(to !== undefined);
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
    expect(resumeTarget("pending")).toBe("pending");
    expect(resumeTarget("completed")).toBe("running");
  });

  it("explains refusals in words a person can act on", () => {
    expect(transition("paused", "pause")).toMatchObject({ ok: false, message: "The instance is already paused" });
    expect(transition("running", "resume")).toMatchObject({ ok: false, message: "Only a paused instance can be resumed; this one is running" });
    expect(transition("completed", "pause")).toMatchObject({ ok: false, message: "The instance has ended (completed); it cannot be paused" });
    expect(transition("timed_out", "resume")).toMatchObject({ ok: false, message: "The instance has ended (timed out); it cannot be resumed" });
  });
});
