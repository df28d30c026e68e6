import { describe, expect, it } from "vitest";
import { retryDelayMs } from "@/lib/webhooks/delivery";

describe("retryDelayMs", () => {
  const policy = { retryBaseMs: 1_000, retryMaxMs: 60_000 };
  it("doubles per failed attempt up to the cap, jittered within the upper half of each step", () => {
    const low = (n: number) => retryDelayMs(n, policy, () => 0);
    const high = (n: number) => retryDelayMs(n, policy, () => 0.999999);
    expect([1, 2, 3, 4].map(low)).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map(high)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(low(20)).toBe(30_000);
    expect(high(20)).toBe(60_000);
  });
});
