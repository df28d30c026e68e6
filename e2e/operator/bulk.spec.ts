import { and, eq, inArray } from "drizzle-orm";
import { history, instances } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { catalog } from "@/workflows/catalog";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test("an operator pauses several instances at once and is told which ones were refused", async ({ page, db }) => {
  const a = await createInstance(db);
  const b = await createInstance(db);
  const c = await createInstance(db);
  await pauseInstance(db, { instanceId: c.id, reason: "held already" }, { id: null, label: "night@ops.test" });
  await signInAs(page, "operator");
  for (const inst of [a, b, c]) await page.getByRole("checkbox", { name: `Select instance ${inst.id}` }).check();
  const bar = page.getByRole("region", { name: "Selected instances" });
  await expect(bar).toContainText("3 selected");
  await bar.getByRole("button", { name: "Pause selected" }).click();
  const dialog = page.getByRole("dialog", { name: "Pause 3 instances" });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Change freeze for the release");
  await dialog.getByRole("button", { name: "Pause 3" }).click();
  await expect(page.getByText(/Paused 2 of 3; 1 refused \(Already paused by night@ops.test/)).toBeVisible();
  // The refused one stays selected; the two that went through leave the selection.
  await expect(bar).toContainText("1 selected");
  const rows = await db.select().from(instances).where(inArray(instances.id, [a.id, b.id]));
  expect(rows.map((r) => [r.status, r.pauseReason])).toEqual([["paused", "Change freeze for the release"], ["paused", "Change freeze for the release"]]);
});

// Issue 12 §1.6: the results of a bulk command stay on screen per instance until dismissed,
// refusals are not shown as success, and the refused stay selected.
test("bulk results name each refused instance and stay until dismissed", async ({ page, db }) => {
  const done1 = await createInstance(db, { status: "completed" });
  const done2 = await createInstance(db, { status: "completed" });
  const held = await createInstance(db);
  await pauseInstance(db, { instanceId: held.id, reason: "held already" }, { id: null, label: "night@ops.test" });
  await signInAs(page, "operator");
  await page.getByRole("button", { name: /^All/ }).click();
  for (const inst of [done1, done2, held]) await page.getByRole("checkbox", { name: `Select instance ${inst.id}` }).check();
  await page.getByRole("region", { name: "Selected instances" }).getByRole("button", { name: "Pause selected" }).click();
  const dialog = page.getByRole("dialog", { name: "Pause 3 instances" });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Freeze");
  await dialog.getByRole("button", { name: "Pause 3" }).click();

  const results = page.getByRole("region", { name: "Paused 0 of 3; 3 refused" });
  await expect(results).toBeVisible();
  const refused = results.getByRole("list", { name: "Refused instances" });
  for (const inst of [done1, done2]) await expect(refused.getByRole("listitem", { name: new RegExp(inst.id.slice(0, 8)) })).toContainText("completed");
  await expect(refused.getByRole("listitem", { name: new RegExp(held.id.slice(0, 8)) })).toContainText("Already paused by night@ops.test");
  // Not a green "success" toast.
  await expect(page.locator("[data-sonner-toast][data-type=success]")).toHaveCount(0);
  // The refused stay selected, and the panel outlives any toast.
  await expect(page.getByRole("region", { name: "Selected instances" })).toContainText("3 selected");
  await page.waitForFunction(() => document.querySelectorAll("[data-sonner-toast]").length === 0, undefined, { timeout: 15_000 });
  await expect(results).toBeVisible();
  await page.screenshot({ path: "test-results/bulk-results.png" });
  await results.getByRole("button", { name: "Dismiss" }).click();
  await expect(results).toBeHidden();
});

test("a bulk resume refused by a resume condition offers to force those instances, with a reason", async ({ page, db }) => {
  test.setTimeout(120_000);
  // loadCheck "always": the ETL's first step pauses it for load, and its resume condition never passes.
  const stuck = await startInstance(db, { workflow: "nightly-etl", input: { loadCheck: "always" } }, { id: null, label: "e2e@flowgate.dev" }, { catalog });
  const plain = await createInstance(db);
  await pauseInstance(db, { instanceId: plain.id, reason: "held" }, { id: null, label: "night@ops.test" });
  await expect.poll(async () => (await db.select().from(instances).where(eq(instances.id, stuck.id)))[0]!.status, { timeout: 60_000 }).toBe("paused");

  await signInAs(page, "operator");
  await page.getByRole("button", { name: /^Paused/ }).click();
  for (const inst of [stuck, plain]) await page.getByRole("checkbox", { name: `Select instance ${inst.id}` }).check();
  await page.getByRole("region", { name: "Selected instances" }).getByRole("button", { name: "Resume selected" }).click();
  await page.getByRole("dialog", { name: "Resume 2 instances" }).getByRole("button", { name: "Resume 2" }).click();
  const results = page.getByRole("region", { name: "Resumed 1 of 2; 1 refused" });
  await expect(results.getByRole("listitem", { name: new RegExp(stuck.id.slice(0, 8)) })).toContainText("Resume condition not met");

  await results.getByRole("button", { name: "Force-resume 1" }).click();
  const force = page.getByRole("dialog", { name: "Force-resume 1 instance" });
  await force.getByRole("textbox", { name: "Reason" }).fill("Load checked by hand");
  await force.getByRole("button", { name: "Force-resume 1" }).click();
  await expect(page.getByRole("region", { name: "Force-resumed 1 of 1" })).toBeVisible();
  const rows = await db.select().from(history).where(and(eq(history.instanceId, stuck.id), eq(history.action, "force_resumed")));
  expect(rows.map((r) => [r.actorLabel, r.reason])).toEqual([["operator@flowgate.dev", "Load checked by hand"]]);
});
