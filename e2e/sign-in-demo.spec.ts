import { DEMO_PASSWORD } from "@/db/seed-users";
import { expect, test } from "./support/fixtures";

test("in demo mode a demo account's button fills the sign-in form in one click", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByRole("button", { name: /^Use approver@flowgate\.dev/ }).click();
  await expect(page.getByLabel("Email")).toHaveValue("approver@flowgate.dev");
  await expect(page.getByLabel("Password")).toHaveValue(DEMO_PASSWORD);
  // Filled, not submitted: focus waits on Sign in, so Enter (or a click) signs in.
  const signIn = page.getByRole("button", { name: "Sign in", exact: true });
  await expect(signIn).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Instances" })).toBeVisible();
  await expect(page.getByRole("link", { name: /Your account: .*approver/ })).toBeVisible();
});
