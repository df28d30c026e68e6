import { describe, expect, it } from "vitest";
import { canonicalJson } from "@/lib/canonical-json";
import { decodeCursor, encodeCursor } from "@/lib/cursor";
import { AppError } from "@/lib/errors";
import { pauseInputSchema, resumeInputSchema } from "@/lib/instances/inputs";
import { fieldErrors, parseInput } from "@/lib/validate";
import { z } from "zod";

const id = "0b6f7c1e-0000-4000-8000-000000000001";

describe("pause input", () => {
  it("trims the reason and defaults to a graceful pause", () => {
    expect(pauseInputSchema.parse({ instanceId: id, reason: "  maintenance \n" })).toMatchObject({ reason: "maintenance", mode: "graceful" });
  });
  it.each([
    ["", "Say why you are pausing"],
    [" \t ", "Say why you are pausing"],
    ["x".repeat(501), "Keep the reason to 500 characters"],
  ])("refuses reason %j", (reason, message) => {
    const result = pauseInputSchema.safeParse({ instanceId: id, reason });
    expect(result.success).toBe(false);
    if (!result.success) expect(fieldErrors(result.error).reason).toEqual([message]);
  });
  it("accepts exactly 500 characters after trimming", () => {
    expect(pauseInputSchema.safeParse({ instanceId: id, reason: ` ${"x".repeat(500)} ` }).success).toBe(true);
  });
  it("refuses a resume time in the past or over a year away", () => {
    expect(pauseInputSchema.safeParse({ instanceId: id, reason: "x", resumeAt: new Date(Date.now() - 1000) }).success).toBe(false);
    expect(pauseInputSchema.safeParse({ instanceId: id, reason: "x", resumeAt: new Date(Date.now() + 400 * 86_400_000) }).success).toBe(false);
    expect(pauseInputSchema.safeParse({ instanceId: id, reason: "x", resumeAt: new Date(Date.now() + 3_600_000).toISOString() }).success).toBe(true);
  });
});

describe("resume input", () => {
  it("treats a blank reason as none", () => {
    expect(resumeInputSchema.parse({ instanceId: id, reason: "   " }).reason).toBeUndefined();
  });
  it("requires a reason to force", () => {
    const result = resumeInputSchema.safeParse({ instanceId: id, force: true });
    expect(result.success).toBe(false);
    if (!result.success) expect(fieldErrors(result.error).reason).toEqual(["A forced resume needs a reason"]);
  });
});

describe("parseInput", () => {
  it("throws a typed invalid error carrying field messages", () => {
    try {
      parseInput(z.object({ a: z.string() }), { a: 1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).status).toBe(400);
      expect((error as AppError).fields?.a).toHaveLength(1);
    }
  });
});

describe("cursor and canonical JSON", () => {
  it("round-trips a cursor and refuses a forged one", () => {
    const schema = z.tuple([z.string(), z.number()]);
    expect(decodeCursor(schema, encodeCursor(["a", 1]))).toEqual(["a", 1]);
    expect(() => decodeCursor(schema, "bm9wZQ")).toThrow(AppError);
    expect(() => decodeCursor(schema, encodeCursor({ a: 1 }))).toThrow(AppError);
  });
  it("sorts keys at every depth so jsonb's reordering does not change a hash", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });
});
