import { describe, expect, it } from "vitest";
import { COUNT_CAP, formatCount } from "@/lib/instances/limits";

// Counts by status stop at COUNT_CAP (lib/instances/queries.ts countByStatus): COUNT_CAP + 1 means "more".
describe("formatCount", () => {
  it("shows a count below or at the cap as it is, and one past it as the cap and a plus", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(1_234)).toBe("1,234");
    expect(formatCount(COUNT_CAP)).toBe("10,000");
    expect(formatCount(COUNT_CAP + 1)).toBe("10,000+");
  });
});
