import { readFileSync } from "node:fs";
import { expect, signInAs, test } from "../support/fixtures";

test("an admin's changes to a user appear in the access log, which the auditor reads and the operator cannot open", async ({ page }) => {
  const email = `contractor-${Date.now()}@flowgate.dev`;
  await signInAs(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Users" }).click();
  const create = page.getByRole("form", { name: "Create a user" });
  await create.getByLabel("Email").fill(email);
  await create.getByLabel("Name").fill("Casey Contractor");
  await create.getByLabel("Role").selectOption("auditor");
  await create.getByLabel("Password").fill("a long enough secret");
  await create.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText(`Created ${email}`)).toBeVisible();

  const row = page.getByRole("row", { name: new RegExp(email) });
  await row.getByLabel(`Role of ${email}`).selectOption("operator");
  await row.getByRole("button", { name: "Save" }).first().click();
  await expect(row.getByText("Saved")).toBeVisible();

  await page.getByRole("link", { name: "access log" }).click();
  await expect(page.getByRole("heading", { name: "Access log", level: 1 })).toBeVisible();
  const entries = page.getByRole("table", { name: "Access changes" }).getByRole("row", { name: new RegExp(email) });
  await expect(entries).toHaveCount(2);
  await expect(entries.nth(0)).toContainText("Role changed");
  await expect(entries.nth(0)).toContainText("auditor → operator");
  await expect(entries.nth(0)).toContainText("admin@flowgate.dev");
  await expect(entries.nth(1)).toContainText("User created");
  await page.screenshot({ path: "test-results/access-log.png", fullPage: true });

  // The whole log, as the auditor would take it away.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
  const csv = readFileSync((await download.path())!, "utf8");
  expect(csv.split("\r\n")[0]).toBe("id,created_at,action,subject_email,subject_id,details,actor_label,actor_id");
  expect(csv).toContain(`role_changed,${email}`);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInAs(page, "auditor");
  await page.getByRole("link", { name: "History" }).click();
  await page.getByRole("link", { name: "access log" }).click();
  await expect(page.getByRole("row", { name: new RegExp(email) })).toHaveCount(2);

  await page.getByRole("button", { name: "Sign out" }).click();
  await signInAs(page, "operator");
  await page.goto("/history");
  await expect(page.getByRole("link", { name: "access log" })).toHaveCount(0);
  await page.goto("/history/access");
  await expect(page.getByRole("heading", { name: "Your role does not open this page" })).toBeVisible();
});
