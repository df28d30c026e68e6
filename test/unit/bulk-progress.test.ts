import { describe, expect, it } from "vitest";
import { mergeProgress, type BulkProgressEvent } from "@/lib/bulk-operations/progress-event";
import { percentQuorumLabel } from "@/lib/gates/rules";

const shown = { id: "op", state: "running" as const, matched: 10, counts: { pending: 6, succeeded: 3, refused: 1, skipped: 0 }, done: 4, reason: "Thaw" };
const event = (state: BulkProgressEvent["state"], counts: BulkProgressEvent["counts"]): BulkProgressEvent => ({ operationId: "op", state, matched: 10, counts });

describe("mergeProgress: what the operation's page shows from its stream", () => {
  it("takes newer counts and keeps the rest of the operation", () => {
    expect(mergeProgress(shown, event("running", { pending: 2, succeeded: 7, refused: 1, skipped: 0 }))).toEqual({ ...shown, counts: { pending: 2, succeeded: 7, refused: 1, skipped: 0 }, done: 8 });
  });

  it("drops an older event that arrives after a newer one (around a reconnect)", () => {
    expect(mergeProgress(shown, event("running", { pending: 8, succeeded: 2, refused: 0, skipped: 0 }))).toBe(shown);
  });

  it("takes the end however it counts, and nothing after it", () => {
    const cancelled = mergeProgress(shown, event("cancelled", { pending: 0, succeeded: 3, refused: 1, skipped: 6 }));
    expect(cancelled).toMatchObject({ state: "cancelled", done: 10 });
    expect(mergeProgress(cancelled, event("running", { pending: 0, succeeded: 9, refused: 1, skipped: 0 }))).toBe(cancelled);
  });
});

describe("percentQuorumLabel", () => {
  it("says how many of the eligible people a percent gate needs, rounded up; nothing for other modes", () => {
    expect(percentQuorumLabel({ mode: "percent", percent: 60 }, 5)).toBe("3 of 5 approvers (60 %)");
    expect(percentQuorumLabel({ mode: "percent", percent: 60 }, 3)).toBe("2 of 3 approvers (60 %)");
    expect(percentQuorumLabel({ mode: "percent", percent: 10 }, 1)).toBe("1 of 1 approver (10 %)");
    expect(percentQuorumLabel({ mode: "n_of_m" }, 5)).toBeNull();
  });
});
