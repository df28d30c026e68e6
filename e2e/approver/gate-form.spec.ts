import { and, eq } from "drizzle-orm";
import { gateDecisions, gates, history, stepRuns } from "@/db/schema";
import type { GateForm } from "@/lib/domain";
import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

const form: GateForm = {
  type: "object",
  properties: {
    region: { type: "string", enum: ["eu-west", "us-east"], description: "Where to roll out" },
    batch: { type: "integer", minimum: 1, maximum: 10, default: 2, title: "Batch size", description: "Hosts per batch" },
    notify: { type: "boolean", default: false, title: "Tell customers" },
    note: { type: "string", maxLength: 200, title: "Note" },
  },
  required: ["region"],
  order: ["region", "batch", "notify", "note"],
};
const options = [
  { name: "rollout", label: "Roll out", next: "rollout" },
  { name: "rollback", label: "Roll back", next: "rollback" },
];
const branches = [
  { key: "rollout", name: "Roll out", dependsOn: ["b"] },
  { key: "rollback", name: "Roll back", dependsOn: ["b"] },
];

test("approver fills a gate's form and chooses a path: a bad value keeps what was typed; the choice skips the other branch", async ({ page, db }) => {
  const stage = `go-no-go e2e ${Date.now()}`;
  const { instance, gate } = await createGatedInstance(db, { stage, form, options }, undefined, branches);
  await signInAs(page, "approver");
  await page.goto("/approvals");
  const card = page.getByRole("article", { name: stage });
  await expect(card).toContainText("Paths: Roll out → rollout; Roll back → rollback");
  await card.getByRole("button", { name: "Approve" }).click();
  const dialog = page.getByRole("dialog", { name: /Approve/ });
  await dialog.getByRole("radio", { name: /Roll back/ }).check();
  await dialog.getByLabel("region").selectOption("us-east");
  await dialog.getByLabel("Batch size (optional)").fill("11");
  await dialog.getByLabel("Tell customers").check();
  await dialog.getByLabel("Note (optional)").fill("Error rate <b>doubled</b> on canary");
  await page.setViewportSize({ width: 1440, height: 900 });
  await dialog.getByRole("button", { name: "Approve" }).click();

  const batch = dialog.getByLabel("Batch size (optional)");
  await expect(batch).toHaveAccessibleDescription(/Batch size must be at most 10/);
  await expect(batch).toHaveValue("11");
  await expect(dialog.getByLabel("Note (optional)")).toHaveValue("Error rate <b>doubled</b> on canary");
  await expect(dialog.getByRole("radio", { name: /Roll back/ })).toBeChecked();
  await expect(dialog.getByLabel("Tell customers")).toBeChecked();
  expect(await db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id))).toEqual([]);
  await page.screenshot({ path: "test-results/gate-form-desktop.png", fullPage: true });

  await batch.fill("3");
  await dialog.getByRole("button", { name: "Approve" }).click();
  await expect(page.getByText('Gate approved: the instance takes "rollback"; skipped rollout')).toBeVisible();

  const [row] = await db.select().from(gates).where(eq(gates.id, gate.id));
  expect(row).toMatchObject({ status: "approved", chosenOption: "rollback", values: { region: "us-east", batch: 3, notify: true, note: "Error rate <b>doubled</b> on canary" } });
  const [skipped] = await db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, instance.id), eq(stepRuns.stepKey, "rollout")));
  expect(skipped!.status).toBe("skipped");
  const rows = await db.select().from(history).where(and(eq(history.instanceId, instance.id), eq(history.action, "steps_skipped")));
  expect(rows).toHaveLength(1);

  await page.goto(`/instances/${instance.id}`);
  const stages = page.getByRole("list", { name: "Approval stages" });
  await expect(stages).toContainText("Path taken: Roll back");
  // Escaped, never rendered as markup.
  await expect(stages.getByText("Error rate <b>doubled</b> on canary")).toBeVisible();
  await expect(page.getByRole("list", { name: "Instance history" })).toContainText("Steps skipped");
  await expect(page.getByRole("cell", { name: "skipped" }).or(page.getByText("skipped", { exact: true })).first()).toBeVisible();
  await page.screenshot({ path: "test-results/gate-form-instance-desktop.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/gate-form-instance-phone.png", fullPage: true });
});

test("at 390 px the approve dialog with a form fits the screen", async ({ page, db }) => {
  const stage = `phone form e2e ${Date.now()}`;
  await createGatedInstance(db, { stage, form, options }, undefined, branches);
  await page.setViewportSize({ width: 390, height: 844 });
  await signInAs(page, "approver");
  await page.goto("/approvals");
  const card = page.getByRole("article", { name: stage });
  await card.getByRole("button", { name: "Approve" }).click();
  const dialog = page.getByRole("dialog", { name: /Approve/ });
  await expect(dialog.getByLabel("region")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/gate-form-phone.png", fullPage: true });
  // Dark mode (the theme follows the system setting): the path and fields stay readable.
  await page.emulateMedia({ colorScheme: "dark" });
  await expect(page.locator("html")).toHaveClass(/dark/);
  await dialog.screenshot({ path: "test-results/gate-form-phone-dark.png" });
});
