import { and, eq } from "drizzle-orm";
import { history, instances, stepRunLogs, stepRuns } from "@/db/schema";
import { appendHistory } from "@/lib/history";
import { cancelInstance } from "@/lib/instances/cancel-instance";
import { createDefinition, createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

/**
 * A failed instance as the engine leaves it: step A completed with an output and a log line,
 * step B failed twice with its error and log lines.
 */
async function failedInstance(db: Parameters<typeof createInstance>[0]) {
  const def = await createDefinition(db, {
    steps: [
      { key: "a", name: "Extract rows", dependsOn: [] },
      { key: "b", name: "Load warehouse", dependsOn: ["a"], retries: 1 },
      { key: "c", name: "Publish", dependsOn: ["b"], gate: { stage: "publish approval" } },
    ],
  });
  const inst = await createInstance(db, { status: "running", definitionId: def.id, workflowKey: def.key, context: { rows: 3 } });
  const t0 = Date.now() - 60_000;
  const at = (s: number) => new Date(t0 + s * 1000);
  const [a] = await db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "a", status: "completed", workerId: "worker-7", startedAt: at(0), finishedAt: at(2), output: { rows: 3, note: "<b>not bold</b>" } }).returning();
  const [b1] = await db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "b", attempt: 1, status: "failed", workerId: "worker-7", startedAt: at(3), finishedAt: at(4), error: "warehouse refused the batch (attempt 1)" }).returning();
  const [b2] = await db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "b", attempt: 2, status: "failed", workerId: "worker-9", startedAt: at(6), finishedAt: at(7), error: "warehouse refused the batch (attempt 2)" }).returning();
  await db.insert(stepRunLogs).values([
    { runId: a!.id, instanceId: inst.id, lines: [{ at: at(1).toISOString(), level: "info", msg: "extracted 3 rows", fields: '{"table":"customers"}' }] },
    { runId: b2!.id, instanceId: inst.id, lines: [{ at: at(6).toISOString(), level: "info", msg: "loading batch, attempt 2" }, { at: at(7).toISOString(), level: "warn", msg: "the warehouse said <no>" }] },
  ]);
  void b1;
  await db.transaction(async (tx) => {
    const [row] = await tx.update(instances).set({ status: "failed", error: "b: warehouse refused the batch (attempt 2)", finishedAt: at(7), version: 2 }).where(eq(instances.id, inst.id)).returning();
    await appendHistory(tx, { instanceId: inst.id, workflowKey: def.key, action: "failed", actor: { id: null, label: "engine" }, reason: row!.error, fromStatus: "running", toStatus: "failed", details: { step: "b" } });
  });
  return inst;
}

test.describe("a failed instance's page", () => {
  test("each step opens to its attempts, output and log lines; the graph shows the steps with their status", async ({ page, db }) => {
    const inst = await failedInstance(db);
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Failed");

    const graph = page.getByRole("img", { name: /Graph of the steps/ });
    await expect(graph).toBeVisible();
    await expect(graph).toContainText("Load warehouse");
    await expect(graph).toContainText("failed");
    await expect(graph).toContainText("gate: publish approval");

    const load = page.getByRole("button", { name: /Load warehouse: show attempts/ });
    await expect(load).toHaveAttribute("aria-expanded", "false");
    await load.click();
    await expect(page.getByRole("button", { name: /Load warehouse: hide attempts/ })).toHaveAttribute("aria-expanded", "true");
    const attempts = page.getByRole("list", { name: "Attempts of Load warehouse" });
    const newest = attempts.getByRole("listitem").filter({ has: page.getByText("Attempt 2", { exact: true }) });
    await expect(newest).toContainText("worker-9");
    await expect(newest).toContainText("warehouse refused the batch (attempt 2)");
    await expect(newest.getByRole("list", { name: "Log of attempt 2" })).toContainText("WARN the warehouse said <no>");
    await expect(attempts.getByRole("listitem").filter({ has: page.getByText("Attempt 1", { exact: true }) })).toContainText("worker-7");

    await page.getByRole("button", { name: /Extract rows: show attempts/ }).click();
    const extract = page.getByRole("list", { name: "Attempts of Extract rows" });
    // Escaped: markup in an output is text.
    await expect(extract).toContainText('"note": "<b>not bold</b>"');
    await expect(extract.locator("b")).toHaveCount(0);
    await expect(extract).toContainText('extracted 3 rows {"table":"customers"}');
    await page.screenshot({ path: "/tmp/ux-shots/failed-instance-desktop.png", fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: "/tmp/ux-shots/failed-instance-dark.png", fullPage: true });
  });

  test("Retry asks why, runs the failed step again as the next attempt, and history shows it", async ({ page, db }) => {
    const inst = await failedInstance(db);
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Retry", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Retry this instance" });
    await expect(dialog).toContainText("Load warehouse");
    const submit = dialog.getByRole("button", { name: "Retry instance" });
    await expect(submit).toBeDisabled();
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Warehouse is back after INC-42");
    await submit.click();
    await expect(page.getByText("Instance retried: its failed step runs again")).toBeVisible();
    await expect(page.getByRole("list", { name: "Instance history" }).getByRole("listitem").filter({ hasText: "Retried" })).toContainText("Runs again: b (attempt 3)");

    const [row] = await db.select().from(history).where(and(eq(history.instanceId, inst.id), eq(history.action, "retried")));
    expect(row).toMatchObject({ actorLabel: "operator@flowgate.dev", reason: "Warehouse is back after INC-42", fromStatus: "failed", toStatus: "running" });
    const runs = await db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "b")));
    expect(runs.map((r) => r.attempt).sort()).toEqual([1, 2, 3]);
    expect((await db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "a")))).length).toBe(1);
  });

  test("an auditor sees no Retry button", async ({ page, db }) => {
    const inst = await failedInstance(db);
    await signInAs(page, "auditor");
    await page.goto(`/instances/${inst.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Failed");
    await expect(page.getByRole("button", { name: "Retry", exact: true })).toHaveCount(0);
  });

  test("at 390 px the page, its graph and an opened step fit without scrolling the page sideways", async ({ page, db }) => {
    const inst = await failedInstance(db);
    await page.setViewportSize({ width: 390, height: 844 });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await expect(page.getByRole("img", { name: /Graph of the steps/ })).toBeVisible();
    await page.getByRole("button", { name: /Load warehouse: show attempts/ }).click();
    await expect(page.getByRole("list", { name: "Attempts of Load warehouse" })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: "/tmp/ux-shots/failed-instance-phone.png", fullPage: true });
  });
});

test("the graph follows the instance live: a step cancelled elsewhere turns to cancelled without a reload", async ({ page, db }) => {
  const inst = await createInstance(db, { status: "running", runningSteps: ["a"] });
  await signInAs(page, "operator");
  await page.goto(`/instances/${inst.id}`);
  const graph = page.getByRole("img", { name: /Graph of the steps/ });
  await expect(graph).toContainText("running");
  await expect(graph).toHaveAttribute("aria-label", /Step A running, Step B not started/);
  // Another operator cancels it (the use case, as the API would): the open page hears of it.
  await cancelInstance(db, { instanceId: inst.id, reason: "Superseded" }, { id: null, label: "other@test.dev" });
  await expect(graph).toHaveAttribute("aria-label", /Step A cancelled, Step B not started/);
  await expect(graph).toContainText("cancelled");
});

test.describe("the workflows page", () => {
  for (const [device, width] of [["desktop", 1440], ["phone", 390]] as const) {
    test(`shows each definition as a graph with its gates, beside the step list (${device})`, async ({ page }) => {
      await page.setViewportSize({ width, height: 900 });
      await signInAs(page, "operator");
      await page.goto("/workflows");
      const graphs = page.getByRole("img", { name: /^Graph of the steps of / });
      await expect(graphs.first()).toBeVisible();
      expect(await graphs.count()).toBe(await page.getByRole("list", { name: /^Steps of / }).count());
      // A gated demo workflow: the gate is drawn with its stage.
      const gated = page.getByRole("img", { name: /behind the approval gate/ }).first();
      await expect(gated).toContainText("gate:");
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `/tmp/ux-shots/workflows-${device}.png` });
    });
  }
});

test.describe("keyboard shortcuts on an instance", () => {
  test("P opens the pause dialog and R the resume dialog, with a visible hint, never while typing", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Running");
    const pause = page.getByRole("button", { name: "Pause", exact: true });
    await expect(pause).toHaveAttribute("aria-keyshortcuts", "p");
    await expect(pause).toContainText("P");

    await page.keyboard.press("p");
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    await expect(dialog).toBeVisible();
    const reason = dialog.getByRole("textbox", { name: "Reason" });
    await reason.fill("");
    await reason.press("p");
    await reason.press("r");
    await expect(reason).toHaveValue("pr");
    await expect(page.getByRole("dialog")).toHaveCount(1);
    await reason.fill("Shortcut pause");
    await dialog.getByRole("button", { name: "Pause instance" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Paused");

    await page.keyboard.press("r");
    await expect(page.getByRole("dialog", { name: "Resume this instance" })).toBeVisible();
    const [row] = await db.select().from(instances).where(eq(instances.id, inst.id));
    expect(row!.status).toBe("paused");
  });
});
