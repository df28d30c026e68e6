import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "./support/fixtures";

async function expectNoSeriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}

test("every page passes an axe scan with no serious or critical violation", async ({ page, db }) => {
  await page.goto("/sign-in");
  await expectNoSeriousViolations(page);

  await signInAs(page, "admin");
  await expectNoSeriousViolations(page);

  const inst = await createInstance(db, { status: "running" });
  await page.goto(`/instances/${inst.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expectNoSeriousViolations(page);

  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await expectNoSeriousViolations(page);
  await page.keyboard.press("Escape");

  await page.goto("/history");
  await expectNoSeriousViolations(page);

  for (const [path, heading] of [["/approvals", "Approvals"], ["/workflows", "Workflows"], ["/insights", "Insights"], ["/admin/users", "Users"], ["/history/access", "Access log"], ["/history/workflows", "Workflow pauses"]] as const) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    await expectNoSeriousViolations(page);
  }
});
