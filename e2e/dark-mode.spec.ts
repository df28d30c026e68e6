import type { Page } from "@playwright/test";
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
