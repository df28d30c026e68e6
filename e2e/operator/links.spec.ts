import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test("the instance page links to its workflow, its gates in the approvals inbox and its history", async ({ page, db }) => {
  const { instance } = await createGatedInstance(db, { stage: "linked gate e2e" });
  await signInAs(page, "operator");
  await page.goto(`/instances/${instance.id}`);
  const links = page.getByRole("navigation", { name: "Related" });

  await links.getByRole("link", { name: "Its workflow" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Workflows" })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/workflows#wf-${instance.definitionId}$`));
  await expect(page.getByRole("article", { name: "Test workflow" }).filter({ hasText: `${instance.workflowKey} v1` })).toBeInViewport();

  await page.goBack();
  await links.getByRole("link", { name: "Its gates" }).click();
  await expect(page.getByRole("article", { name: "linked gate e2e" })).toBeVisible();
  await expect(page.getByRole("article")).toHaveCount(1);

  await page.goBack();
  await links.getByRole("link", { name: "Its audit trail" }).click();
  await expect(page.getByRole("search", { name: "Filter history" }).getByLabel("Instance id")).toHaveValue(instance.id);
  await expect(page.getByRole("table", { name: "History entries" }).getByRole("link", { name: `Open instance ${instance.id}` }).first()).toBeVisible();
});

test("the start toast links to the instance just started", async ({ page }) => {
  await signInAs(page, "operator");
  await page.goto("/workflows");
  const start = page.getByRole("form", { name: "Start nightly-etl" });
  await start.getByRole("button", { name: "Start instance" }).click();
  await page.getByRole("link", { name: "Open the new instance" }).click();
  await expect(page).toHaveURL(/\/instances\/[0-9a-f-]{36}$/);
  await expect(page.getByRole("heading", { level: 1, name: /Nightly ETL/ })).toBeVisible();
});
