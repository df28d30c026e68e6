import { inArray } from "drizzle-orm";
import { instances } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
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
  await expect(bar).toBeHidden();
  const rows = await db.select().from(instances).where(inArray(instances.id, [a.id, b.id]));
  expect(rows.map((r) => [r.status, r.pauseReason])).toEqual([["paused", "Change freeze for the release"], ["paused", "Change freeze for the release"]]);
});
