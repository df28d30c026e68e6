import { expect, signInAs, test } from "../support/fixtures";

// Issue 10 §2: tokens that can be revoked and expire, deactivated users, password resets; all
// from the users page, each in the access log. Issue 12 §1.1: the create form keeps its role.

test("an admin issues and revokes a token, resets a password, deactivates and reactivates a user", async ({ page, browser, request, baseURL }) => {
  const email = `lifecycle-${Date.now()}@flowgate.dev`;
  await signInAs(page, "admin");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "Users" }).click();

  // A refused create keeps every choice, the role included.
  const create = page.getByRole("form", { name: "Create a user" });
  await create.getByLabel("Email").fill("not an email");
  await create.getByLabel("Name").fill("Lee Lifecycle");
  await create.getByLabel("Role").selectOption("approver");
  await create.getByLabel("Password").fill("a long enough secret");
  await create.getByRole("button", { name: "Create user" }).click();
  await expect(create.getByText("Enter a valid email address")).toBeVisible();
  await expect(create.getByLabel("Role")).toHaveValue("approver");
  await expect(create.getByLabel("Name")).toHaveValue("Lee Lifecycle");
  await create.getByLabel("Email").fill(email);
  await create.getByLabel("Password").fill("a long enough secret");
  await create.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText(`Created ${email}`)).toBeVisible();

  await page.getByRole("row", { name: new RegExp(email) }).getByRole("link", { name: "Lee Lifecycle" }).click();
  await expect(page.getByRole("heading", { name: "Lee Lifecycle", level: 1 })).toBeVisible();

  // A token, shown once, that works until revoked.
  const issue = page.getByRole("form", { name: "Issue an API token" });
  await issue.getByLabel("Token name").fill("release-bot");
  await issue.getByLabel("Expires after").selectOption("7");
  await issue.getByRole("button", { name: "Issue token" }).click();
  const token = (await page.getByRole("status").filter({ hasText: "shown once" }).locator("code").textContent())!;
  expect(token).toMatch(/^fgt_/);
  const authed = { headers: { authorization: `Bearer ${token}` } };
  expect((await request.get("/api/v1/me", authed)).status()).toBe(200);
  const row = page.getByRole("listitem", { name: "release-bot" });
  await expect(row).toContainText("active");
  await expect(row).toContainText(token.slice(0, 10));
  await row.getByRole("button", { name: "Revoke" }).click();
  const revoke = page.getByRole("dialog", { name: "Revoke “release-bot”?" });
  await revoke.getByLabel("Reason").fill("Pasted into a public channel");
  await revoke.getByRole("button", { name: "Revoke token" }).click();
  await expect(row).toContainText("revoked");
  expect((await request.get("/api/v1/me", authed)).status()).toBe(401);

  // A reset link, opened by the user in their own browser.
  await page.getByRole("button", { name: "Issue a password reset link" }).click();
  const link = (await page.getByRole("status").filter({ hasText: "works once" }).locator("code").textContent())!;
  expect(link.startsWith(`${baseURL}/reset-password?token=`)).toBe(true);
  const theirs = await browser.newContext();
  const them = await theirs.newPage();
  await them.goto(link);
  await expect(them.getByText(`for ${email}`)).toBeVisible();
  await them.getByLabel("New password", { exact: true }).fill("my brand new password");
  await them.getByLabel("New password again").fill("a different password!");
  await them.getByRole("button", { name: "Set the new password" }).click();
  await expect(them.getByText("The two passwords differ")).toBeVisible();
  await them.getByLabel("New password", { exact: true }).fill("my brand new password");
  await them.getByLabel("New password again").fill("my brand new password");
  await them.getByRole("button", { name: "Set the new password" }).click();
  await expect(them.getByRole("status")).toContainText("is changed");
  await them.getByRole("link", { name: "Sign in" }).click();
  await them.getByLabel("Email").fill(email);
  await them.getByLabel("Password").fill("my brand new password");
  await them.getByRole("button", { name: "Sign in" }).click();
  await expect(them.getByRole("heading", { name: "Instances" })).toBeVisible();
  // The link was used up.
  await them.goto(link);
  await expect(them.getByText("This reset link is not valid")).toBeVisible();

  // Deactivated: their open session ends at once and sign-in says why.
  await page.getByRole("button", { name: "Deactivate" }).click();
  const deactivate = page.getByRole("dialog", { name: `Deactivate ${email}?` });
  await deactivate.getByLabel("Reason").fill("Left the company");
  await deactivate.getByRole("button", { name: "Deactivate account" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Deactivated" })).toContainText("Left the company");
  // Their cookie is still there but no longer valid: sign-in, and back to the page asked for after.
  await them.goto("/history?action=paused");
  await expect(them).toHaveURL(/\/sign-in\?next=%2Fhistory%3Faction%3Dpaused$/);
  await them.getByLabel("Email").fill(email);
  await them.getByLabel("Password").fill("my brand new password");
  await them.getByRole("button", { name: "Sign in" }).click();
  await expect(them.getByText("This account is deactivated")).toBeVisible();
  await page.screenshot({ path: "test-results/user-page.png", fullPage: true });

  await page.getByRole("button", { name: "Reactivate" }).click();
  await expect(page.getByText(`${email} is active again`)).toBeVisible();
  await expect(page.getByRole("button", { name: "Deactivate" })).toBeVisible();
  await them.getByLabel("Password").fill("my brand new password");
  await them.getByRole("button", { name: "Sign in" }).click();
  await expect(them).toHaveURL(/\/history\?action=paused$/);
  await theirs.close();

  await page.goto("/history/access");
  const entries = page.getByRole("table", { name: "Access changes" }).getByRole("row", { name: new RegExp(email) });
  for (const change of ["User created", "API token issued", "API token revoked", "Password reset link issued", "Password reset", "User deactivated", "User reactivated"]) {
    await expect(entries.filter({ has: page.getByRole("cell", { name: change, exact: true }) })).toHaveCount(1);
  }
});

test("anyone signed in manages their own tokens on their account page", async ({ page, request }) => {
  await signInAs(page, "auditor");
  await page.getByRole("link", { name: /Your account/ }).click();
  await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
  const name = `laptop-${Date.now()}`;
  const issue = page.getByRole("form", { name: "Issue an API token" });
  await issue.getByLabel("Token name").fill(name);
  await issue.getByRole("button", { name: "Issue token" }).click();
  const token = (await page.getByRole("status").filter({ hasText: "shown once" }).locator("code").textContent())!;
  const me = await request.get("/api/v1/me", { headers: { authorization: `Bearer ${token}` } });
  expect(await me.json()).toMatchObject({ email: "auditor@flowgate.dev", role: "auditor" });
  await expect(page.getByRole("listitem", { name })).toContainText("expires in 90 days");
  await page.screenshot({ path: "test-results/account-page.png", fullPage: true });
});
