import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "./support/fixtures";

async function expectNoSeriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

// One test per page: an axe scan takes seconds on a busy machine, and a dozen of them in one
// test's time budget was a race against the machine's load, not a check of the pages.
test.describe("axe finds no serious or critical violation", () => {
  test("on the sign-in page", async ({ page }) => {
    await page.goto("/sign-in");
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
    await expectNoSeriousViolations(page);
  });

  test("on the instances list", async ({ page }) => {
    await signInAs(page, "admin");
    await expectNoSeriousViolations(page);
  });

  test("on an instance page and its pause dialog", async ({ page, db }) => {
    await signInAs(page, "admin");
    const inst = await createInstance(db, { status: "running" });
    await page.goto(`/instances/${inst.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expectNoSeriousViolations(page);

    await page.getByRole("button", { name: "Pause" }).click();
    await expect(page.getByRole("dialog")).toBeVisible();
    await expectNoSeriousViolations(page);
  });

  for (const [path, heading] of [
    ["/history", "History"],
    ["/approvals", "Approvals"],
    ["/workflows", "Workflows"],
    ["/insights", "Insights"],
    ["/admin/users", "Users"],
    ["/history/access", "Access log"],
    ["/history/workflows", "Workflow pauses"],
  ] as const) {
    test(`on ${path}`, async ({ page }) => {
      await signInAs(page, "admin");
      await page.goto(path);
      await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
      await expectNoSeriousViolations(page);
    });
  }
});
