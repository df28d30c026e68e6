// Fails on purpose: scripts/selfcheck-runners.ts runs it to prove that a failing test fails the run.
import { expect, inject, it } from "vitest";

it("SELFCHECK: a failing unit test", () => {
  // The cluster is up (the real global setup ran), so its exit hooks are in play too.
  expect(inject("pgAdminUrl")).toMatch(/^postgres:/);
  expect("selfcheck-actual").toBe("selfcheck-expected-value");
});
