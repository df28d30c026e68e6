import { eq } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { instances, maintenanceWindows, workflowHolds } from "@/db/schema";
import { createDefinition, createInstance } from "../../test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

/** "2027-01-31T09:00" in UTC, what the form's datetime-local fields take (they say UTC). */
const utcLocal = (ms: number) => new Date(ms).toISOString().slice(0, 16);

async function fitsTheScreen(page: Page) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

test("an operator schedules a window over a filter of instances: only the matching instances are held, the workflow keeps running", async ({ page, db }) => {
  test.setTimeout(120_000);
  // Its own workflow, unknown to the worker's catalog, so its steps stay queued and its instances running.
  const def = await createDefinition(db);
  const inWorkflow = { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] };
  const eu1 = await createInstance(db, { ...inWorkflow, input: { region: "eu", customer: "acme" } });
  const eu2 = await createInstance(db, { ...inWorkflow, input: { region: "eu", customer: "globex" } });
  const us = await createInstance(db, { ...inWorkflow, input: { region: "us", customer: "acme" } });
  const title = `EU failover ${def.key}`;
  const statusOf = async (id: string) => (await db.select().from(instances).where(eq(instances.id, id)))[0]!;

  await signInAs(page, "operator");
  await page.goto("/workflows/windows");
  const form = page.getByRole("form", { name: "Schedule a maintenance window" });
  await form.getByLabel("Title").fill(title);
  await form.getByRole("checkbox", { name: new RegExp(def.key) }).check();
  await form.getByLabel("Reason").fill("EU database failover");
  await form.getByLabel("Starts (UTC)").fill(utcLocal(Date.now() + 3_600_000));
  await form.getByLabel("Ends (UTC)").fill(utcLocal(Date.now() + 2 * 3_600_000));

  // A filter that does not parse is refused under its field, and everything typed stays.
  await form.getByLabel("Input search").fill("region");
  await form.getByRole("button", { name: "Schedule window" }).click();
  await expect(form.getByText('Write each condition as field=value, e.g. customer=acme ("region" has no =)')).toBeVisible();
  await expect(form.getByLabel("Input search")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Input search")).toHaveValue("region");
  await expect(form.getByLabel("Title")).toHaveValue(title);
  expect(await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.title, title))).toEqual([]);
  await form.screenshot({ path: "test-results/window-filter-form-error-1440.png" });

  // The preview counts what the window would hold if it started now.
  await form.getByLabel("Input search").fill("region=eu");
  await form.getByRole("button", { name: "Preview matches" }).click();
  await expect(form.getByRole("status")).toHaveText("Preview: 2 instances match now");
  // The preview accepted the filter: the last submit's error under it is gone.
  await expect(form.getByText('Write each condition as field=value, e.g. customer=acme ("region" has no =)')).toHaveCount(0);
  await expect(form.getByLabel("Input search")).toHaveAttribute("aria-invalid", "false");
  await page.emulateMedia({ colorScheme: "dark" });
  await form.screenshot({ path: "test-results/window-filter-form-preview-1440-dark.png" });
  await page.emulateMedia({ colorScheme: "light" });
  await form.getByRole("button", { name: "Schedule window" }).click();

  const card = page.getByRole("region", { name: "Upcoming" }).getByRole("article", { name: title });
  await expect(card).toContainText("Holds: Test workflow where region=eu (the workflows keep running)");
  await expect(card).toContainText("Preview: 2 instances match now");
  const [window] = await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.title, title));
  expect(window).toMatchObject({ state: "scheduled", workflowKeys: [def.key], instanceFilter: { input: "region=eu" } });
  await card.screenshot({ path: "test-results/window-filter-scheduled-1440.png" });

  // Its start comes (moved, as the clock would): the real worker holds the two matching instances only.
  await db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000) }).where(eq(maintenanceWindows.id, window!.id));
  const by = `window:${window!.id}`;
  for (const id of [eu1.id, eu2.id]) await expect.poll(async () => (await statusOf(id)).pausedByLabel, { timeout: 30_000 }).toBe(by);
  expect((await statusOf(us.id)).status).toBe("running");
  expect(await db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, def.key))).toEqual([]);

  await page.reload();
  const active = page.getByRole("region", { name: "Active now" }).getByRole("article", { name: title });
  await expect(active).toContainText("Holding now: 2 instances");
  await page.screenshot({ path: "test-results/window-filter-1440.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/window-filter-1440-dark.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "light" });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(active).toContainText("Holding now: 2 instances");
  await fitsTheScreen(page);
  await page.screenshot({ path: "test-results/window-filter-390.png", fullPage: true });
  await page.setViewportSize({ width: 1440, height: 900 });

  // Ending it early resumes what it held.
  await active.getByRole("button", { name: "End early" }).click();
  const dialog = page.getByRole("dialog", { name: `End ${title} early` });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Failover done");
  await dialog.getByRole("button", { name: "End window now" }).click();
  for (const id of [eu1.id, eu2.id]) await expect.poll(async () => (await statusOf(id)).status, { timeout: 30_000 }).toBe("running");
});
