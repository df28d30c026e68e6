import { eq } from "drizzle-orm";
import type { Page } from "@playwright/test";
import { history, instances, maintenanceWindows, workflowStartPolicies } from "@/db/schema";
import { createDefinition, createInstance } from "../../test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

/** "2027-01-31T09:00" in UTC, what the form's datetime-local fields take (they say UTC). */
const utcLocal = (ms: number) => new Date(ms).toISOString().slice(0, 16);

async function fitsTheScreen(page: Page) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

test("an operator schedules a maintenance window, the worker pauses the workflow's running instance in it, and ending it early resumes it", async ({ page, db }) => {
  test.setTimeout(120_000);
  // Its own workflow, unknown to the worker's catalog, so its step stays queued and the instance running.
  const def = await createDefinition(db);
  const inst = await createInstance(db, { definitionId: def.id, workflowKey: def.key, pendingSteps: ["a"] });
  const title = `Replica failover ${def.key}`;

  await signInAs(page, "operator");
  await page.goto("/workflows");
  await page.getByRole("link", { name: "Maintenance windows" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Maintenance windows" })).toBeVisible();
  const form = page.getByRole("form", { name: "Schedule a maintenance window" });

  // A refused form keeps what was typed and says what is wrong, under the field.
  await form.getByLabel("Title").fill(title);
  await form.getByRole("checkbox", { name: new RegExp(def.key) }).check();
  await form.getByLabel("Reason").fill("Failover drill of the primary");
  await form.getByLabel("Starts (UTC)").fill(utcLocal(Date.now() + 2 * 3_600_000));
  await form.getByLabel("Ends (UTC)").fill(utcLocal(Date.now() + 3_600_000));
  await form.getByRole("button", { name: "Schedule window" }).click();
  await expect(form.getByText("The end must be after the start")).toBeVisible();
  await expect(form.getByLabel("Title")).toHaveValue(title);
  await expect(form.getByRole("checkbox", { name: new RegExp(def.key) })).toBeChecked();
  expect(await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.title, title))).toEqual([]);

  await form.getByLabel("Ends (UTC)").fill(utcLocal(Date.now() + 3 * 3_600_000));
  await form.getByRole("button", { name: "Schedule window" }).click();
  const upcoming = page.getByRole("region", { name: "Upcoming" });
  const card = upcoming.getByRole("article", { name: title });
  await expect(card).toContainText("Failover drill of the primary");
  const [window] = await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.title, title));
  expect(window).toMatchObject({ state: "scheduled", workflowKeys: [def.key], createdByLabel: "operator@flowgate.dev" });
  await page.screenshot({ path: "test-results/maintenance-windows-1440.png", fullPage: true });

  // Its start comes (moved, as the clock would): the real worker starts it on its next tick.
  await db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000) }).where(eq(maintenanceWindows.id, window!.id));
  await expect.poll(async () => (await db.select().from(instances).where(eq(instances.id, inst.id)))[0]!.pausedByLabel, { timeout: 30_000 }).toBe(`window:${window!.id}`);
  await page.reload();
  const active = page.getByRole("region", { name: "Active now" }).getByRole("article", { name: title });
  await expect(active).toContainText("Active");

  // The instance's page says who holds it.
  await page.goto(`/instances/${inst.id}`);
  const banner = page.getByRole("status", { name: "Pause" });
  await expect(banner).toContainText("a maintenance window paused it; it resumes when the window ends");
  await expect(banner).toContainText("Held by a maintenance window: resumes when the window ends");
  await page.screenshot({ path: "test-results/instance-held-by-window-1440.png" });

  await page.goto("/workflows/windows");
  await active.getByRole("button", { name: "End early" }).click();
  const dialog = page.getByRole("dialog", { name: `End ${title} early` });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Drill finished early");
  await dialog.getByRole("button", { name: "End window now" }).click();
  await expect(page.getByRole("region", { name: "Active now" }).getByRole("article", { name: title })).toHaveCount(0);
  await expect.poll(async () => (await db.select().from(instances).where(eq(instances.id, inst.id)))[0]!.status, { timeout: 30_000 }).toBe("running");
  const rows = await db.select().from(history).where(eq(history.instanceId, inst.id));
  expect(rows.filter((h) => h.actorLabel === `window:${window!.id}`).map((h) => h.action).sort()).toEqual(["paused", "resumed"]);
  expect((await db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, window!.id)))[0]!.state).toBe("done");
});

test("a start queued behind a window reads as Queued in the list and on its page", async ({ page, db }) => {
  // The seed's re-index window holds report-export with one start queued behind it.
  const [queued] = await db.select().from(instances).where(eq(instances.workflowKey, "report-export"));
  expect(queued).toMatchObject({ status: "pending" });
  await signInAs(page, "operator");
  await page.goto(`/instances?status=all&workflow=report-export`);
  await expect(page.getByRole("table", { name: "Workflow instances" }).getByRole("row", { name: new RegExp(queued!.id) }).getByRole("cell", { name: "Queued" })).toBeVisible();
  await page.goto(`/instances/${queued!.id}`);
  await expect(page.getByRole("status", { name: "Queued" })).toContainText("It starts, in order, when the workflow is resumed; if it is still waiting at");
});

test("the windows page fits a phone", async ({ browser }) => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await signInAs(page, "operator");
  await page.goto("/workflows/windows");
  await expect(page.getByRole("heading", { level: 1, name: "Maintenance windows" })).toBeVisible();
  await fitsTheScreen(page);
  await page.screenshot({ path: "test-results/maintenance-windows-390.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/maintenance-windows-390-dark.png", fullPage: true });
});

test("an operator makes a paused workflow queue new starts, with a time-to-live, on the Workflows page", async ({ page, db }) => {
  const def = await createDefinition(db);
  await signInAs(page, "operator");
  await page.goto("/workflows");
  const form = page.getByRole("form", { name: `Starts while Test workflow is paused` }).filter({ has: page.locator(`[id="${def.key}-policy-policy"]`) });
  await form.getByLabel("Starts while paused").selectOption("queue");
  await form.getByLabel("Drop after (seconds, optional)").fill("soon");
  await form.getByLabel("Reason (optional)").fill("Orders must not be lost tonight");
  await form.getByRole("button", { name: "Save policy" }).click();
  await expect(form.getByText("Enter a whole number of seconds")).toBeVisible();
  await expect(form.getByLabel("Reason (optional)")).toHaveValue("Orders must not be lost tonight");
  expect(await db.select().from(workflowStartPolicies).where(eq(workflowStartPolicies.workflowKey, def.key))).toEqual([]);

  await form.getByLabel("Drop after (seconds, optional)").fill("600");
  await form.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText(`${def.key}: starts while paused now queue (drop after 600 s)`)).toBeVisible();
  expect(await db.select().from(workflowStartPolicies).where(eq(workflowStartPolicies.workflowKey, def.key))).toMatchObject([{ policy: "queue", queueTtlSeconds: 600, setByLabel: "operator@flowgate.dev" }]);
  const card = page.getByRole("article").filter({ has: page.locator(`[id="${def.key}-policy-policy"]`) });
  await expect(card).toContainText("Starts while paused: queue (drop after 600 s) (set by operator@flowgate.dev)");
  await card.screenshot({ path: "test-results/start-policy-1440.png" });
});
