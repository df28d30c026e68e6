import { describe, expect, it } from "vitest";
import { needsSignIn, safeReturnPath, signInHref } from "@/lib/return-to";

describe("safeReturnPath", () => {
  it("keeps a same-origin path with its query and fragment", () => {
    expect(safeReturnPath("/history?action=paused")).toBe("/history?action=paused");
    expect(safeReturnPath("/instances/4f2a#steps")).toBe("/instances/4f2a#steps");
  });

  it.each([
    "//evil.com",
    "https://evil.com",
    "http://evil.com/history",
    "/\\evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    " /history",
    "javascript:alert(1)",
    "evil.com",
    "",
    "/sign-in?next=/history",
    `/${"a".repeat(2001)}`,
  ])("refuses %j", (value) => {
    expect(safeReturnPath(value)).toBeNull();
  });

  it("refuses what is not a string", () => {
    expect(safeReturnPath(null)).toBeNull();
    expect(safeReturnPath(["/history"])).toBeNull();
  });
});

describe("needsSignIn and signInHref", () => {
  it("asks sign-in for dashboard pages only", () => {
    expect(needsSignIn("/history")).toBe(true);
    expect(needsSignIn("/history/access")).toBe(true);
    expect(needsSignIn("/historyx")).toBe(false);
    expect(needsSignIn("/sign-in")).toBe(false);
    expect(needsSignIn("/api/v1/instances")).toBe(false);
  });

  it("carries the page asked for, encoded", () => {
    expect(signInHref("/history?action=paused")).toBe("/sign-in?next=%2Fhistory%3Faction%3Dpaused");
    expect(signInHref("/instances")).toBe("/sign-in");
    expect(signInHref("//evil.com")).toBe("/sign-in");
  });
});
