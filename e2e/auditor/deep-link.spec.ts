import { DEMO_PASSWORD } from "@/db/seed-users";
import { expect, test } from "../support/fixtures";

async function signIn(page: import("@playwright/test").Page) {
  await page.getByLabel("Email").fill("auditor@flowgate.dev");
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a deep link survives sign-in: the auditor lands on the filtered history asked for", async ({ page }) => {
  await page.goto("/history?action=paused");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await signIn(page);
  await expect(page).toHaveURL(/\/history\?action=paused$/);
  await expect(page.getByRole("search", { name: "Filter history" }).getByLabel("Action")).toHaveValue("paused");
});

for (const next of ["//evil.com", "https://evil.com", "/\\evil.com"]) {
  test(`sign-in refuses to send anyone to ${next}`, async ({ page }) => {
    await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
    await signIn(page);
    await expect(page.getByRole("heading", { level: 1, name: "Instances" })).toBeVisible();
    await expect(page).toHaveURL(/^http:\/\/localhost:\d+\/instances$/);
  });
}
