import { count, eq } from "drizzle-orm";
import { history } from "@/db/schema";
import { appendHistory } from "@/lib/history";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 15: an instance page loaded and rendered its whole history (10,000 rows for a long-lived
// instance) on every render. It now shows the newest 50 and links to the rest in the audit trail.

test("an instance with a long history shows its newest 50 entries and a link to the older ones, at 1440 and 390 px", async ({ page, db }) => {
  const inst = await createInstance(db, { status: "running" });
  await db.transaction(async (tx) => {
    for (let i = 0; i < 60; i++) await appendHistory(tx, { instanceId: inst.id, workflowKey: inst.workflowKey, action: "step_started", actor: { id: null, label: "engine" }, fromStatus: "running", toStatus: "running", details: { step: `s${i}` } });
  });
  const [{ rows }] = (await db.select({ rows: count() }).from(history).where(eq(history.instanceId, inst.id))) as [{ rows: number }];
  expect(rows).toBe(61);
  await signInAs(page, "operator");
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`/instances/${inst.id}`);
    const timeline = page.getByRole("list", { name: "Instance history" });
    await expect(timeline.getByRole("listitem")).toHaveCount(50);
    const older = page.getByRole("link", { name: "Older entries in the audit trail" });
    await expect(older).toHaveAttribute("href", `/history?instanceId=${inst.id}`);
    await older.scrollIntoViewIfNeeded();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no horizontal scroll at ${width} px`).toBe(true);
    await page.screenshot({ path: `/tmp/lists-shots/instance-history-${width}.png` });
  }
  await page.getByRole("link", { name: "Older entries in the audit trail" }).click();
  await expect(page).toHaveURL(new RegExp(`/history\\?instanceId=${inst.id}`));
});
