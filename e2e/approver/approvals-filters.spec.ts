import { randomBytes } from "node:crypto";
import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 12 §2: the Approvals page filters by workflow and stage, orders newest or oldest first
// (in the URL), and has a compact list beside the cards, remembered across visits.
test("approvals: filter by stage, newest first, and a compact list that is remembered", async ({ page, db }) => {
  const tag = randomBytes(2).toString("hex");
  await createGatedInstance(db, { stage: `older ${tag}` });
  await createGatedInstance(db, { stage: `newer ${tag}` });
  await signInAs(page, "approver");
  await page.goto("/approvals");
  const names = async () => (await page.getByRole("article").evaluateAll((els) => els.map((e) => e.getAttribute("aria-labelledby") && document.getElementById(e.getAttribute("aria-labelledby")!)?.textContent))).filter((n) => n?.endsWith(tag));
  await expect.poll(names).toEqual([`older ${tag}`, `newer ${tag}`]);

  const filters = page.getByRole("form", { name: "Filter approvals" });
  await filters.getByLabel("Order").selectOption({ label: "Newest first" });
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/order=newest/);
  await expect.poll(names).toEqual([`newer ${tag}`, `older ${tag}`]);

  await filters.getByLabel("Stage").selectOption({ label: `older ${tag}` });
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/stage=older/);
  await expect(page.getByRole("article", { name: `older ${tag}` })).toBeVisible();
  await expect(page.getByRole("article", { name: `newer ${tag}` })).toHaveCount(0);
  await page.screenshot({ path: "test-results/approvals-cards-1440.png", fullPage: true });

  await page.getByRole("group", { name: "Layout" }).getByRole("button", { name: "Compact list" }).click();
  await expect(page.getByRole("list", { name: "Gates" })).toBeVisible();
  await expect(page.getByRole("article", { name: `older ${tag}` }).getByRole("button", { name: "Approve" })).toBeVisible();
  await page.screenshot({ path: "test-results/approvals-compact-1440.png", fullPage: true });
  await page.goto("/approvals");
  await expect(page.getByRole("group", { name: "Layout" }).getByRole("button", { name: "Compact list" })).toHaveAttribute("aria-pressed", "true");
  await expect(page.getByRole("list", { name: "Gates" })).toBeVisible();

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.getByRole("list", { name: "Gates" })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/approvals-compact-390.png", fullPage: true });
});
