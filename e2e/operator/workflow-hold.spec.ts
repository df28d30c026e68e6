import { expect, signInAs, test } from "../support/fixtures";

test("an operator pauses a whole workflow: no new instance can start until it is resumed", async ({ page }) => {
  await signInAs(page, "operator");
  await page.getByRole("link", { name: "Workflows" }).click();
  const card = page.getByRole("article", { name: "Nightly ETL" });
  await expect(card.getByRole("form", { name: "Start nightly-etl" })).toBeVisible();

  await card.getByRole("button", { name: "Pause workflow" }).click();
  const pause = page.getByRole("dialog", { name: "Pause Nightly ETL" });
  await expect(pause.getByRole("button", { name: "Pause workflow" })).toBeDisabled();
  await pause.getByRole("textbox", { name: "Reason" }).fill("Warehouse migration tonight");
  await pause.getByRole("button", { name: "Pause workflow" }).click();

  await expect(card.getByRole("status")).toContainText("Paused by operator@flowgate.dev");
  await expect(card.getByRole("status")).toContainText("Warehouse migration tonight");
  await expect(card.getByRole("form", { name: "Start nightly-etl" })).toHaveCount(0);
  await expect(card.getByText("Starting is paused while the workflow is paused.")).toBeVisible();
  await card.getByText("Pause history").click();
  await expect(card.getByRole("list", { name: "Pause history of Nightly ETL" })).toContainText("Paused by operator@flowgate.dev: Warehouse migration tonight");
  await page.screenshot({ path: "test-results/workflow-hold.png", fullPage: false });

  await card.getByRole("button", { name: "Resume workflow" }).click();
  const resume = page.getByRole("dialog", { name: "Resume Nightly ETL" });
  await resume.getByRole("textbox", { name: "Reason" }).fill("Migration done");
  await resume.getByRole("button", { name: "Resume workflow" }).click();
  await expect(card.getByRole("form", { name: "Start nightly-etl" })).toBeVisible();
  await expect(card.getByRole("status")).toHaveCount(0);

  // The auditor's view of the same: both entries, newest first, in the workflow pause log.
  await page.getByRole("link", { name: "History" }).click();
  await page.getByRole("link", { name: "workflow pause log" }).click();
  const rows = page.getByRole("table", { name: "Workflow pauses" }).getByRole("row", { name: /nightly-etl/ });
  await expect(rows.nth(0)).toContainText("Resumed");
  await expect(rows.nth(0)).toContainText("Migration done");
  await expect(rows.nth(1)).toContainText("Paused");
  await expect(rows.nth(1)).toContainText("Warehouse migration tonight");
});
