import { describe, expect, it } from "vitest";
import { exitCodeFor } from "@/cli/client";
import { oneLine, parseValueOptions, table, useColour } from "@/cli/format";

describe("the CLI's output", () => {
  it("aligns columns by code points, so an emoji or an accent does not shift them", () => {
    const out = table(["A", "B"], [["😀😀", "x"], ["é", "y"], ["abc", "z"]]).split("\n");
    // The second column's one character sits at the same code point in every line.
    expect(out.map((line) => [...line].length - 1)).toEqual([5, 5, 5, 5]);
  });

  it("never writes control characters from server text to the terminal", () => {
    expect(oneLine("line one\nline two\u001b[31mred\u0007")).toBe("line one line two�[31mred�");
    expect(table(["R"], [["a\u001b]0;pwned\u0007b"]])).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it("paints only on a terminal, and never with NO_COLOR set", () => {
    expect(useColour({ isTTY: true }, {})).toBe(true);
    expect(useColour({ isTTY: false }, {})).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(table(["S"], [[{ text: "paused", colour: "yellow" }]], { colour: true })).toContain("\u001b[33mpaused");
    expect(table(["S"], [[{ text: "paused", colour: "yellow" }]], { colour: false })).not.toContain("\u001b[");
  });

  it("maps the API's statuses to the exit codes issue 13 names", () => {
    expect([400, 401, 403, 404, 409, 413, 415, 500, 503].map(exitCodeFor)).toEqual([1, 3, 3, 3, 2, 1, 1, 4, 4]);
  });

  it("reads --value key=value as JSON for numbers, booleans and quoted text, else as text", () => {
    expect(parseValueOptions(["batch=3", "urgent=true", 'ref="007"', "note=roll back first", "eq=a=b"])).toEqual({ batch: 3, urgent: true, ref: "007", note: "roll back first", eq: "a=b" });
    expect(() => parseValueOptions(["=x"])).toThrow(/key=value/);
    expect(() => parseValueOptions(["novalue"])).toThrow(/key=value/);
  });
});
