import { and, count, eq, like } from "drizzle-orm";
import { gates } from "@/db/schema";
import { cancelInstance } from "@/lib/instances/cancel-instance";
import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 15: with thousands of pending gates the inbox rendered 500 of them with their context on
// every visit, and the nav's count read the same 500 on every page. The inbox now shows 50 at a
// time (deciding one brings the next) and says so; the count beside "Approvals" counts to 99+.

test("an approver with more gates waiting than a page sees the oldest 50, told so, and the full count in the nav", async ({ page, db }) => {
  const stage = `inbox-page-${Date.now()}`;
  const made: string[] = [];
  // The specs share one database and the inbox shows the oldest 50: these 51 gates would hide every
  // later spec's gate from the approver, so they are cancelled at the end, whatever happens.
  try {
    for (let i = 0; i < 51; i++) made.push((await createGatedInstance(db, { stage, approverRole: "approver" })).instance.id);
    await checkInbox();
  } finally {
    for (const instanceId of made) await cancelInstance(db, { instanceId, reason: "inbox-page spec: done with its gates" }, { id: null, label: "e2e" });
  }
  async function checkInbox() {
    const [{ pending }] = (await db.select({ pending: count() }).from(gates).where(and(eq(gates.status, "pending"), like(gates.stage, stage)))) as [{ pending: number }];
    expect(pending).toBe(51);
    await signInAs(page, "approver");
    for (const width of [1440, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`/approvals?stage=${stage}`);
      await expect(page.getByRole("status").filter({ hasText: "The oldest 50 of the gates waiting for you" })).toBeVisible();
      await expect(page.locator("main article")).toHaveCount(50);
      // The nav counts every gate this approver may decide (other specs' gates too), at least these 51.
      // (At 390 px the nav folds into the header menu; its count is the same element.)
      if (width === 390) continue;
      const approvals = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Approvals/ });
      await expect(approvals).toHaveAccessibleName(/^Approvals\s*(5[1-9]|[6-9]\d|More than 99) waiting for you$/);
    }
    for (const width of [1440, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`/approvals?stage=${stage}`);
      await expect(page.getByRole("status").filter({ hasText: "The oldest 50 of the gates waiting for you" })).toBeVisible();
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no horizontal scroll at ${width} px`).toBe(true);
      await page.screenshot({ path: `test-results/inbox-${width}.png` });
    }
  }
});
