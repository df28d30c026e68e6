import { readFile } from "node:fs/promises";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { createInstance } from "@/test/support/factories";
import { parseCsv } from "@/test/support/csv";
import { expect, signInAs, test } from "../support/fixtures";

test("an auditor filters by actor and action, opens an instance from a row, and exports a CSV that matches the screen", async ({ page, db }) => {
  const actor = { id: null, label: "night-shift@ops.test" };
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const inst = await createInstance(db);
    ids.push(inst.id);
    await pauseInstance(db, { instanceId: inst.id, reason: `Nightly freeze, batch ${i}` }, actor);
    await resumeInstance(db, { instanceId: inst.id, reason: `Thaw ${i}` }, actor);
  }

  await signInAs(page, "auditor");
  await page.getByRole("link", { name: "History" }).click();
  const filters = page.getByRole("search", { name: "Filter history" });
  await filters.getByLabel("Actor").fill("night-shift@ops.test");
  await filters.getByLabel("Action").selectOption({ label: "Paused" });
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/actor=night-shift%40ops.test/);
  await expect(page).toHaveURL(/action=paused/);

  const rows = page.getByRole("table", { name: "History entries" }).getByRole("row");
  await expect(rows).toHaveCount(5); // header + 4
  const screen = [];
  for (let i = 1; i < 5; i++) {
    const cells = await rows.nth(i).getByRole("cell").allInnerTexts();
    screen.push({ action: cells[1], actor: cells[2], instance: cells[3], reason: cells[6] });
  }
  expect(screen.map((r) => r.reason)).toEqual(["Nightly freeze, batch 3", "Nightly freeze, batch 2", "Nightly freeze, batch 1", "Nightly freeze, batch 0"]);

  const downloadPromise = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export" }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const csv = parseCsv(await readFile((await download.path())!, "utf8"));
  const header = csv[0]!;
  const col = (name: string) => header.indexOf(name);
  const fileRows = csv.slice(1).map((r) => ({ action: r[col("action")], actor: r[col("actor_label")], instance: r[col("instance_id")]!.slice(0, 8), reason: r[col("reason")] }));
  expect(fileRows).toEqual(screen.map((s) => ({ action: "paused", actor: s.actor, instance: s.instance, reason: s.reason })));

  await rows.nth(1).getByRole("link", { name: /Open instance/ }).click();
  await expect(page).toHaveURL(new RegExp(`/instances/${ids[3]}`));
  await expect(page.getByRole("list", { name: "Instance history" })).toContainText("Nightly freeze, batch 3");
});
