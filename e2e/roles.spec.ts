import { expect, signInAs, test } from "./support/fixtures";

test("anonymous visitors are sent to sign in; roles without a page's permission get the forbidden page", async ({ page }) => {
  await page.goto("/instances");
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole("heading", { name: "Flowgate" })).toBeVisible();
  // Demo mode shows the demo sign-ins.
  await expect(page.getByRole("region", { name: "Demo sign-ins" })).toContainText("auditor@flowgate.dev");

  await signInAs(page, "auditor");
  await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(0);
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: "Your role does not open this page" })).toBeVisible();

  await page.goto("/instances");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await signInAs(page, "approver");
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: "Your role does not open this page" })).toBeVisible();

  await page.goto("/instances");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await signInAs(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await expect(page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Users" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
});

test("a wrong password is refused with a message beside the field", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill("operator@flowgate.dev");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Email or password is wrong")).toBeVisible();
  await expect(page).toHaveURL(/\/sign-in$/);
});
