import { randomBytes } from "node:crypto";
import { createDefinition, createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 12 §2: the list's ended-status views, sorting kept in the URL, and search by the
// workflow's input fields with a field error for a malformed search (never a 500, text kept).
test.describe("instances list: views, sort, search by input fields", () => {
  test("finds instances by an input field, sorts, and says what is wrong with a bad search", async ({ page, db }) => {
    const customer = `acme-${randomBytes(3).toString("hex")}`;
    const def = await createDefinition(db);
    const match = await createInstance(db, { status: "completed", definitionId: def.id, workflowKey: def.key, input: { customer, region: { name: "eu" } } });
    const other = await createInstance(db, { status: "completed", definitionId: def.id, workflowKey: def.key, input: { customer: "globex" } });
    await signInAs(page, "operator");

    await page.getByRole("group", { name: "View" }).getByRole("button", { name: /Completed/ }).click();
    await expect(page).toHaveURL(/status=completed/);
    await expect(page.getByRole("group", { name: "View" }).getByRole("button", { name: /Completed/ })).toHaveAttribute("aria-pressed", "true");

    const search = page.getByRole("searchbox", { name: "Input fields" });
    await search.fill(`customer=${customer}, region.name=eu`);
    await search.press("Enter");
    await expect(page).toHaveURL(new RegExp(`input=customer(=|%3D)${customer}`));
    await expect(page.getByRole("link", { name: `Open instance ${match.id}` })).toBeVisible();
    await expect(page.getByRole("link", { name: `Open instance ${other.id}` })).toHaveCount(0);

    await page.getByLabel("Sort by").selectOption({ label: "Started" });
    await expect(page).toHaveURL(/sort=started/);
    await expect(page.getByRole("link", { name: `Open instance ${match.id}` })).toBeVisible();
    await page.screenshot({ path: "test-results/instances-list-1440.png", fullPage: true });

    await search.fill("customer");
    await search.press("Enter");
    await expect(page.getByText(/Write each condition as field=value/)).toBeVisible();
    await expect(search).toHaveValue("customer");
    await expect(search).toHaveAttribute("aria-invalid", "true");
    // The field says it; the list does not also fail as a whole.
    await expect(page.getByText(/Could not load instances/)).toHaveCount(0);
  });

  test("at 390 px the views, sort and search fit without scrolling sideways", async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signInAs(page, "operator");
    await expect(page.getByRole("group", { name: "View" }).getByRole("button", { name: /Timed out/ })).toBeVisible();
    await expect(page.getByRole("searchbox", { name: "Input fields" })).toBeVisible();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: "test-results/instances-list-390.png", fullPage: true });
  });
});
