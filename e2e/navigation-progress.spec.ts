import { expect, signInAs, test } from "./support/fixtures";

test("a progress bar shows while a client navigation is pending, and hides once the page arrives", async ({ page }) => {
  await signInAs(page, "operator");
  const bar = page.getByRole("progressbar", { name: "Loading page" });
  await expect(bar).toBeHidden();
  // A slow connection: every server-component payload (the App Router's `_rsc` requests,
  // prefetches included) arrives 2 s late, so the old page would otherwise sit with no sign.
  await page.route(/[?&]_rsc=/, async (route) => {
    await new Promise((r) => setTimeout(r, 2_000));
    await route.continue().catch(() => undefined);
  });
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
  await expect(bar).toBeVisible({ timeout: 1_500 });
  await expect(page.getByRole("heading", { name: "Workflows", level: 1 })).toBeVisible();
  await expect(bar).toBeHidden();
});
