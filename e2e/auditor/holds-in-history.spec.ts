import { and, eq } from "drizzle-orm";
import { bulkOperations, instances, maintenanceWindows } from "@/db/schema";
import { startBulkOperation } from "@/lib/bulk-operations/start";
import { cancelWindow, createWindow } from "@/lib/maintenance/windows";
import { createDefinition, createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 14 §1 and §3 as an auditor reads them: what a maintenance window and a bulk operation by
// filter did is in the history, the window as the actor (`window:<id>`), the operation's rows by
// the operator who started it and linked to the operation, which the auditor may read but not cancel.

const operator = { id: null, label: "operator@flowgate.dev" };

test("an auditor finds a maintenance window's pauses and a bulk operation's in the history, each with its actor", async ({ page, db }) => {
  test.setTimeout(120_000);
  // Workflows unknown to the worker's catalog: their steps stay queued, so the instances stay running until paused.
  const held = await createDefinition(db);
  const inWindow = await createInstance(db, { definitionId: held.id, workflowKey: held.key, pendingSteps: ["a"] });
  const window = await createWindow(db, { title: `Audit drill ${held.key}`, workflowKeys: [held.key], reason: "Storage migration", startsAt: new Date(Date.now() + 3_600_000).toISOString(), endsAt: new Date(Date.now() + 7_200_000).toISOString() }, operator);
  // Its start comes (moved, as the clock would): the real worker starts it and pauses the instance.
  await db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000) }).where(eq(maintenanceWindows.id, window.id));

  const bulk = await createDefinition(db);
  for (let i = 0; i < 3; i++) await createInstance(db, { definitionId: bulk.id, workflowKey: bulk.key, pendingSteps: ["a"] });
  const op = await startBulkOperation(db, "pause", { filter: { status: "running", workflow: bulk.key }, reason: "Vendor API outage", mode: "graceful" }, operator);

  await expect.poll(async () => (await db.select().from(instances).where(eq(instances.id, inWindow.id)))[0]!.pausedByLabel, { timeout: 60_000 }).toBe(`window:${window.id}`);
  await expect.poll(async () => (await db.select().from(bulkOperations).where(eq(bulkOperations.id, op.id)))[0]!.state, { timeout: 60_000 }).toBe("completed");

  await signInAs(page, "auditor");
  // The window's own changes: filter by its actor.
  await page.goto(`/history?actor=${encodeURIComponent(`window:${window.id}`)}`);
  const table = page.getByRole("table", { name: "History entries" });
  const byWindow = table.getByRole("row").filter({ has: page.getByRole("link", { name: `Open instance ${inWindow.id}` }) });
  await expect(byWindow).toHaveCount(1);
  await expect(byWindow).toContainText("Paused");
  await expect(byWindow).toContainText(`window:${window.id}`);
  await expect(byWindow).toContainText("Storage migration");
  await page.screenshot({ path: "test-results/auditor-window-history-1440.png", fullPage: true });

  // The operation's: one row per instance, by the operator, each linking to the operation.
  await page.goto(`/history?workflow=${bulk.key}&action=paused`);
  const rows = table.getByRole("row").filter({ has: page.getByRole("link", { name: `Bulk operation ${op.id}` }) });
  await expect(rows).toHaveCount(3);
  for (const row of await rows.all()) await expect(row).toContainText("operator@flowgate.dev");
  await rows.first().getByRole("link", { name: `Bulk operation ${op.id}` }).click();
  await expect(page).toHaveURL(new RegExp(`/bulk-operations/${op.id}$`));
  await expect(page.getByRole("region", { name: "Progress" })).toContainText("Completed");
  await expect(page.getByRole("region", { name: "Details" })).toContainText("Vendor API outage");
  await expect(page.getByRole("button", { name: "Cancel operation" })).toHaveCount(0);
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/auditor-bulk-operation-390.png", fullPage: true });

  // Leave nothing held: the window is called off (its instance resumes, paced, by the worker).
  await cancelWindow(db, { windowId: window.id, reason: "Spec done" }, operator);
  await expect.poll(async () => (await db.select().from(instances).where(and(eq(instances.id, inWindow.id), eq(instances.status, "running")))).length, { timeout: 60_000 }).toBe(1);
});
