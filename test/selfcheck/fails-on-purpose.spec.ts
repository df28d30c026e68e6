// Fails on purpose: scripts/selfcheck-runners.ts runs it to prove that a failing e2e test fails the run.
import { expect, signInAs, test } from "@/e2e/support/fixtures";

test("SELFCHECK: a failing e2e test", async ({ page }) => {
  await signInAs(page, "operator");
  await expect(page.getByRole("heading", { name: "Instances" })).toBeVisible();
  expect("selfcheck-actual").toBe("selfcheck-expected-value");
});
