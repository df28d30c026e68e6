import { describe, expect, it } from "vitest";
import { z } from "zod";
import { formValuesSchema } from "@/lib/gates/form";
import { percentRequired, stepsToSkip, unchosenBranches } from "@/lib/gates/rules";
import { defineWorkflow, stepSpecs } from "@/lib/workflows/sdk";

const steps = (gate: Record<string, unknown>) => ({
  review: { gate: { stage: "review", ...gate }, run: () => {} },
  ship: { dependsOn: ["review"], run: () => {} },
  hold: { dependsOn: ["review"], run: () => {} },
  elsewhere: { run: () => {} },
});
const define = (gate: Record<string, unknown>) => defineWorkflow({ key: "w", version: 1, name: "W", steps: steps(gate) as never });

describe("defineWorkflow checks a gate's form, options, expiry and percent", () => {
  it("stores the zod form as JSON Schema with defaults and descriptions", () => {
    const wf = define({ form: z.object({ region: z.enum(["eu", "us"]).describe("Where"), batch: z.number().int().min(1).default(2), ok: z.boolean().default(false) }) });
    expect(stepSpecs(wf).find((s) => s.key === "review")?.gate?.form).toEqual({
      type: "object",
      properties: { region: { type: "string", enum: ["eu", "us"], description: "Where" }, batch: { type: "integer", minimum: 1, default: 2, maximum: 9007199254740991 }, ok: { type: "boolean", default: false } },
      required: ["region"],
      order: ["region", "batch", "ok"],
    });
  });
  it("refuses forms with fields a person cannot fill in one box", () => {
    expect(() => define({ form: z.object({ hosts: z.array(z.string()) }) })).toThrow(/form field "hosts" must be a string, an enum, a number or a boolean/);
  });
  it("refuses an option or expiry that leads to a step not after the gated one", () => {
    expect(() => define({ options: [{ name: "go", next: "elsewhere" }] })).toThrow(/option "go" leads to "elsewhere", which must be a step that depends on "review"/);
    expect(() => define({ onExpiry: { step: "nowhere" } })).toThrow(/its expiry leads to "nowhere"/);
    expect(() => define({ options: [{ name: "go", next: "ship" }, { name: "go", next: "hold" }] })).toThrow(/listed twice/);
    expect(() => define({ options: [{ name: "go", next: "ship" }], onExpiry: "continue" })).toThrow(/cannot expire by "continue"/);
  });
  it("refuses a percent gate without a percent in 1–100", () => {
    expect(() => define({ mode: "percent" })).toThrow(/percent/);
    expect(() => define({ mode: "percent", percent: 101 })).toThrow(/percent/);
    expect(() => define({ mode: "percent", percent: 60 })).not.toThrow();
  });
});

describe("branch and quorum rules", () => {
  const specs = [
    { key: "review", dependsOn: [] },
    { key: "ship", dependsOn: ["review"] },
    { key: "hold", dependsOn: ["review"] },
    { key: "announce", dependsOn: ["hold"] },
    { key: "report", dependsOn: ["ship", "announce"] },
  ];
  const gate = { options: [{ name: "ship", next: "ship" }, { name: "hold", next: "hold" }], onExpiry: "fail" as const, expiryStep: null };
  it("skips the unchosen branch and what only it leads to; a join with one live branch runs", () => {
    expect(stepsToSkip(specs, unchosenBranches(gate, { option: "ship" }), new Set(["review"]))).toEqual(["hold", "announce"]);
    expect(stepsToSkip(specs, unchosenBranches(gate, { option: "hold" }), new Set(["review"]))).toEqual(["ship"]);
    // No branch taken (a plain approval): every branch, and the join that only they reach.
    expect(stepsToSkip(specs, unchosenBranches(gate, { option: null }), new Set(["review"]))).toEqual(["ship", "hold", "announce", "report"]);
  });
  it("an expiry step is a branch too: a person's choice skips it, the expiry takes it", () => {
    const expiring = { options: [], onExpiry: "step" as const, expiryStep: "hold" };
    expect(unchosenBranches(expiring, { option: null })).toEqual(["hold"]);
    expect(unchosenBranches(expiring, { expiry: true })).toEqual([]);
  });
  it("percent quorum rounds up and needs at least one", () => {
    expect(percentRequired(60, 3)).toBe(2);
    expect(percentRequired(67, 3)).toBe(3);
    expect(percentRequired(50, 4)).toBe(2);
    expect(percentRequired(100, 0)).toBe(1);
    expect(percentRequired(1, 1)).toBe(1);
  });
});

describe("form values from a browser form", () => {
  const form = { type: "object" as const, properties: { batch: { type: "integer" as const, default: 2 }, ok: { type: "boolean" as const }, why: { type: "string" as const } }, required: ["why"] };
  it("parses numbers, reads a checkbox's absence as no, and an empty number as its default", () => {
    expect(formValuesSchema(form, "form").parse({ batch: "", why: " because " })).toEqual({ batch: 2, ok: false, why: "because" });
    expect(formValuesSchema(form, "form").parse({ batch: "7", ok: "on", why: "x" })).toEqual({ batch: 7, ok: true, why: "x" });
  });
  it("refuses what is not a number and a blank required text, by field", () => {
    const parsed = formValuesSchema(form, "form").safeParse({ batch: "seven", why: "   " });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([["batch", "batch must be a whole number"], ["why", "why is required"]]);
  });
});
