import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "./support/fixtures";

/** The page's background colour as the browser computed it, as [r, g, b]. */
async function bodyBackground(page: Page): Promise<number[]> {
  const color = await page.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
  return (color.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
}
const isDark = (rgb: number[]) => rgb.length === 3 && rgb.every((c) => c < 60);

test("dark mode follows the system setting, and the header's theme choice overrides it", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await signInAs(page, "operator");
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);
  await expect.poll(() => bodyBackground(page).then(isDark)).toBe(true);

  const theme = page.getByRole("combobox", { name: "Theme" });
  await expect(theme).toHaveValue("system");
  await theme.selectOption({ label: "Light" });
  await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);
  await expect.poll(() => bodyBackground(page).then(isDark)).toBe(false);

  // The choice is kept across pages and reloads, still against a dark system setting.
  await page.reload();
  await expect(page.getByRole("combobox", { name: "Theme" })).toHaveValue("light");
  await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);

  await page.getByRole("combobox", { name: "Theme" }).selectOption({ label: "System" });
  await page.emulateMedia({ colorScheme: "light" });
  await expect(page.locator("html")).not.toHaveClass(/\bdark\b/);
  await page.emulateMedia({ colorScheme: "dark" });
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);
});

/** axe's colour-contrast rule (WCAG AA) over the whole page, as "rule: element (contrast)" lines. */
async function contrastViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withRules(["color-contrast"]).analyze();
  return results.violations.flatMap((v) => v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").at(-1)?.trim() ?? ""}`));
}

// Issue 12 §2: indigo links and violet "Waits for approval" text were drawn for white and read
// at about 2:1 on the dark surface. Scanned per page, in dark mode, with rows that show them.
test.describe("dark mode has readable contrast (axe colour-contrast)", () => {
  test.beforeEach(async ({ page, db }) => {
    await createGatedInstance(db, { stage: "dark contrast e2e" });
    await page.emulateMedia({ colorScheme: "dark" });
  });
  for (const [path, heading] of [
    ["/instances?status=waiting", "Instances"],
    ["/approvals", "Approvals"],
    ["/history", "History"],
  ] as const) {
    test(`on ${path}`, async ({ page }) => {
      await signInAs(page, "admin");
      await page.goto(path);
      await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
      await expect(page.locator("html")).toHaveClass(/\bdark\b/);
      if (path.startsWith("/instances")) await expect(page.getByRole("table").getByText("Waits for approval").first()).toBeVisible();
      expect(await contrastViolations(page)).toEqual([]);
      await page.screenshot({ path: `test-results/dark${path.replace(/[^a-z]+/g, "-")}1440.png` });
    });
  }
});

// The instance page draws its input and context as code blocks and its notices as coloured panels:
// each must stay readable on the dark surface too.
test("dark mode has readable contrast (axe colour-contrast) on an instance page with input and context", async ({ page, db }) => {
  const { createInstance } = await import("@/test/support/factories");
  const instance = await createInstance(db, { status: "running", input: { customer: "acme", region: { name: "eu" } }, context: { rows: 1200 }, runningSteps: ["a"] });
  await page.emulateMedia({ colorScheme: "dark" });
  await signInAs(page, "operator");
  await page.goto(`/instances/${instance.id}`);
  await expect(page.getByLabel("Context")).toContainText("1200");
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);
  expect(await contrastViolations(page)).toEqual([]);
  await page.screenshot({ path: "test-results/dark-instance-1440.png", fullPage: true });
});
