import { expect, signInAs, test } from "../support/fixtures";

// The admin sees the most header entries of any role; at 1440 px they and "Sign out" stay on one line.
test("the admin's header fits one line at 1440 px, with the admin pages one entry and tabs below", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await signInAs(page, "admin");
  const main = page.getByRole("navigation", { name: "Main" });
  const first = await main.getByRole("link", { name: "Instances" }).boundingBox();
  const signOut = await page.getByRole("button", { name: "Sign out" }).boundingBox();
  expect(first && signOut).toBeTruthy();
  // Same row: their vertical centres agree to within a few pixels (a wrapped row is 30+ px lower).
  expect(Math.abs(first!.y + first!.height / 2 - (signOut!.y + signOut!.height / 2))).toBeLessThan(8);
  await page.screenshot({ path: "test-results/header-admin-1440.png" });

  await main.getByRole("link", { name: "Admin" }).click();
  const tabs = page.getByRole("navigation", { name: "Admin" });
  await expect(tabs.getByRole("link")).toHaveText(["Users", "Webhooks", "Notifications"]);
  await tabs.getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
  await expect(main.getByRole("link", { name: "Admin" })).toHaveAttribute("aria-current", "page");
  await expect(tabs.getByRole("link", { name: "Webhooks" })).toHaveAttribute("aria-current", "page");
});
