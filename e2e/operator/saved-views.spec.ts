import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { savedViews } from "@/db/schema";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 12 §2: saved views: a named filter and sort from the list's current state, personal or
// shared with the team, beside the tabs; renamed or deleted by its owner, a shared one by an admin.
test("an operator saves the current list as a shared view; others open it; the owner renames it; an admin deletes it", async ({ page, db, browser }) => {
  const name = `Paused EU ${randomBytes(2).toString("hex")}`;
  await signInAs(page, "operator");
  await page.goto("/instances?status=paused&sort=started&input=region%3Deu");
  const views = page.getByRole("navigation", { name: "Saved views" });
  await views.getByRole("button", { name: "Save view" }).click();
  const dialog = page.getByRole("dialog", { name: "Save this view" });
  await dialog.getByRole("button", { name: "Save view" }).click();
  await expect(dialog.getByText("Give the view a name")).toBeVisible();
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel(/Share with the team/).check();
  await dialog.getByRole("button", { name: "Save view" }).click();
  await expect(dialog).toBeHidden();
  const chip = views.getByRole("link", { name: new RegExp(name) });
  await expect(chip).toBeVisible();
  const [row] = await db.select().from(savedViews).where(eq(savedViews.name, name));
  expect(row).toMatchObject({ shared: true, filter: { status: "paused", sort: "started", input: "region=eu" } });

  // Opening it from another view brings its filter back.
  await page.goto("/instances");
  await views.getByRole("link", { name: new RegExp(name) }).click();
  await expect(page).toHaveURL(/status=paused/);
  await expect(page).toHaveURL(/input=region%3Deu/);
  await expect(page.getByRole("searchbox", { name: "Input fields" })).toHaveValue("region=eu");

  // Another user sees it, marked with its owner, with nothing to change it by.
  const auditorContext = await browser.newContext();
  const auditor = await auditorContext.newPage();
  await signInAs(auditor, "auditor");
  const theirs = auditor.getByRole("navigation", { name: "Saved views" });
  await expect(theirs.getByRole("link", { name: new RegExp(name) })).toContainText("by operator@flowgate.dev");
  await expect(theirs.getByRole("button", { name: `Rename view ${name}` })).toHaveCount(0);
  await expect(theirs.getByRole("button", { name: `Delete view ${name}` })).toHaveCount(0);
  await auditorContext.close();

  // The owner renames it.
  await views.getByRole("button", { name: `Rename view ${name}` }).click();
  const rename = page.getByRole("dialog", { name: /Rename/ });
  await rename.getByLabel("Name").fill(`${name} (renamed)`);
  await rename.getByRole("button", { name: "Rename" }).click();
  await expect(views.getByRole("link", { name: new RegExp(`${name} \\(renamed\\)`) })).toBeVisible();
  await page.screenshot({ path: "test-results/saved-views-1440.png" });

  // An admin may delete someone else's shared view.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInAs(admin, "admin");
  const adminViews = admin.getByRole("navigation", { name: "Saved views" });
  await adminViews.getByRole("button", { name: `Delete view ${name} (renamed)` }).click();
  const confirm = admin.getByRole("dialog", { name: /Delete/ });
  await confirm.getByRole("button", { name: "Delete view" }).click();
  // While the modal is open the page behind it is hidden from the accessibility tree: wait for it to close first.
  await expect(confirm).toBeHidden();
  await expect(admin.getByText(/Deleted the view/)).toBeVisible();
  await expect(adminViews.getByRole("link", { name: new RegExp(name) })).toHaveCount(0);
  await adminContext.close();
  expect(await db.select().from(savedViews).where(eq(savedViews.id, row!.id))).toEqual([]);
});
