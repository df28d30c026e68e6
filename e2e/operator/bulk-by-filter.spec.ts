import { and, eq, sql } from "drizzle-orm";
import { bulkOperations, history, instances } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { createDefinition, createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 14 §3: "Pause all 1,283 running instances of Nightly ETL" from the list's filter, with the
// count shown before confirming, run by the worker as a bulk operation the operator follows.

test("an operator pauses every running instance of a workflow by filter, sees the count first, and follows the operation", async ({ page, db }) => {
  test.setTimeout(120_000);
  const def = await createDefinition(db);
  const targets = [];
  for (let i = 0; i < 12; i++) targets.push(await createInstance(db, { definitionId: def.id, workflowKey: def.key }));
  // Matches the workflow but not "running": not counted, not touched.
  const held = await createInstance(db, { definitionId: def.id, workflowKey: def.key });
  await pauseInstance(db, { instanceId: held.id, reason: "held already" }, { id: null, label: "night@ops.test" });

  await signInAs(page, "operator");
  // The unfiltered list offers no "all matching" action; choosing a filter does.
  await expect(page.getByRole("table")).toBeVisible();
  await expect(page.getByRole("region", { name: "Every match of the filter" })).toHaveCount(0);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/instances?status=running&workflow=${def.key}`);
  await expect(page.getByRole("button", { name: "Pause all 12 matching" })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/bulk-by-filter-phone.png" });
  await page.setViewportSize({ width: 1440, height: 900 });
  const matches = page.getByRole("region", { name: "Every match of the filter" });
  await matches.getByRole("button", { name: "Pause all 12 matching" }).click();
  const dialog = page.getByRole("dialog", { name: "Pause 12 instances" });
  await expect(dialog).toContainText(`12 running instances of Test workflow`);
  await expect(dialog.getByRole("button", { name: "Pause 12" })).toBeDisabled();
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Nightly ETL source is down");
  await dialog.getByRole("combobox", { name: "Mode" }).selectOption("immediate");
  await dialog.getByRole("button", { name: "Pause 12" }).click();

  await expect(page).toHaveURL(/\/bulk-operations\/[0-9a-f-]{36}$/);
  const operationId = page.url().split("/").at(-1)!;
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Pause 12 running instances of Test workflow");
  const bar = page.getByRole("progressbar", { name: "Paused so far" });
  await expect(bar).toHaveAttribute("aria-valuenow", "12", { timeout: 30_000 });
  await expect(page.getByRole("region", { name: "Progress" })).toContainText("Completed");
  await expect(page.getByRole("heading", { name: "Refused (0)" })).toBeVisible();

  // The database: every target paused once, immediately, by the operator, its history row linked to the operation.
  const [op] = await db.select().from(bulkOperations).where(eq(bulkOperations.id, operationId));
  expect(op).toMatchObject({ action: "pause", state: "completed", matched: 12, mode: "immediate", reason: "Nightly ETL source is down", actorLabel: "operator@flowgate.dev" });
  const rows = await db.select().from(instances).where(eq(instances.workflowKey, def.key));
  expect(rows.filter((r) => r.status === "paused" && r.pauseReason === "Nightly ETL source is down" && r.pauseMode === "immediate").map((r) => r.id).sort()).toEqual(targets.map((t) => t.id).sort());
  expect(rows.find((r) => r.id === held.id)).toMatchObject({ pauseReason: "held already", pausedByLabel: "night@ops.test" });
  const linked = await db.select({ id: history.id }).from(history).where(and(eq(history.action, "paused"), sql`${history.details}->>'bulkOperationId' = ${operationId}`));
  expect(linked).toHaveLength(12);

  await page.screenshot({ path: "test-results/bulk-operation-desktop.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(bar).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/bulk-operation-phone.png", fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });

  // A history row links back to its operation, which the list of operations names too.
  await page.goto(`/history?instanceId=${targets[0]!.id}`);
  await page.getByRole("link", { name: `Bulk operation ${operationId}` }).first().click();
  await expect(page).toHaveURL(new RegExp(`/bulk-operations/${operationId}$`));
  await page.goto("/bulk-operations");
  await expect(page.getByRole("list", { name: "Bulk operations" }).getByRole("link", { name: "Pause 12 running instances of Test workflow" }).first()).toBeVisible();
});

test("an operator cancels a paced resume by filter: the rest are skipped and stay paused", async ({ page, db }) => {
  test.setTimeout(120_000);
  const def = await createDefinition(db);
  // 200 paused instances: resumed at 20 a second, the operation runs for about ten seconds.
  await db.execute(sql`
    insert into instances (definition_id, workflow_key, status, started_by_label, paused_from_status, paused_at, paused_by_label, pause_reason, pause_mode, pause_kind)
    select ${def.id}::uuid, ${def.key}, 'paused', 'e2e', 'running', now(), 'night@ops.test', 'window', 'graceful', 'manual' from generate_series(1, 200)`);
  await signInAs(page, "operator");
  await page.goto(`/instances?status=paused&workflow=${def.key}`);
  await page.getByRole("region", { name: "Every match of the filter" }).getByRole("button", { name: "Resume all 200 matching" }).click();
  const dialog = page.getByRole("dialog", { name: "Resume 200 instances" });
  await expect(dialog).toContainText("at most 20 a second");
  await page.screenshot({ path: "test-results/bulk-by-filter-dialog.png" });
  await dialog.getByRole("button", { name: "Resume 200" }).click();
  await expect(page).toHaveURL(/\/bulk-operations\/[0-9a-f-]{36}$/);
  const operationId = page.url().split("/").at(-1)!;
  await expect.poll(async () => Number(await page.getByRole("progressbar", { name: "Resumed so far" }).getAttribute("aria-valuenow"))).toBeGreaterThan(0);

  await page.getByRole("button", { name: "Cancel operation" }).click();
  const cancel = page.getByRole("dialog", { name: "Cancel this operation" });
  await cancel.getByRole("textbox", { name: "Reason" }).fill("Downstream still recovering");
  await cancel.getByRole("button", { name: "Cancel operation" }).click();
  await expect(page.getByRole("region", { name: "Progress" })).toContainText("Cancelled");
  await expect(page.getByRole("region", { name: "Details" })).toContainText("by operator@flowgate.dev: Downstream still recovering");

  const [op] = await db.select().from(bulkOperations).where(eq(bulkOperations.id, operationId));
  expect(op).toMatchObject({ state: "cancelled", cancelReason: "Downstream still recovering" });
  const counts = await db.execute<{ status: string; n: number }>(sql`select status, count(*)::int as n from bulk_operation_items where operation_id = ${operationId} group by status`);
  const by: Record<string, number> = Object.fromEntries(counts.map((r) => [r.status, r.n]));
  const skipped = by.skipped ?? 0;
  expect(by.pending ?? 0).toBe(0);
  expect(by.skipped).toBeGreaterThan(0);
  const [stillPaused] = await db.select({ n: sql<number>`count(*)::int` }).from(instances).where(and(eq(instances.workflowKey, def.key), eq(instances.status, "paused")));
  expect(stillPaused!.n).toBe(by.skipped);
  // The bar counts what was acted on, not what a cancel skipped.
  await expect(page.getByRole("region", { name: "Progress" })).toContainText(`${200 - skipped} of 200 done; ${skipped} skipped`);
  await expect(page.getByRole("progressbar", { name: "Resumed so far" })).toHaveAttribute("aria-valuenow", String(200 - skipped));
  await page.screenshot({ path: "test-results/bulk-operation-cancelled.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/bulk-operation-dark.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });
});

test("an auditor browses bulk operations but is offered no bulk action", async ({ page, db }) => {
  const def = await createDefinition(db);
  await createInstance(db, { definitionId: def.id, workflowKey: def.key });
  await signInAs(page, "auditor");
  await page.goto(`/instances?status=running&workflow=${def.key}`);
  await expect(page.getByRole("table")).toBeVisible();
  await expect(page.getByRole("region", { name: "Every match of the filter" })).toHaveCount(0);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Bulk operations" }).click();
  await expect(page.getByRole("heading", { name: "Bulk operations" })).toBeVisible();
});
