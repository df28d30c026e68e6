import { pauseInstance } from "@/lib/instances/pause-instance";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 12 §1.5: "Since: in 8 sec.", "Started: in 2 sec." A browser whose clock runs behind the
// server's must still show times that have passed as past.

const SKEW_MS = -120_000;

test("with the browser's clock two minutes behind the server, times that have passed never read as future", async ({ page, db }) => {
  // The browser's Date runs SKEW_MS off; timers and everything else are untouched.
  await page.addInitScript((skew: number) => {
    const RealDate = Date;
    class SkewedDate extends RealDate {
      constructor(...args: ConstructorParameters<DateConstructor> | []) {
        if (args.length === 0) super(RealDate.now() + skew);
        else super(...(args as ConstructorParameters<DateConstructor>));
      }
      static override now() {
        return RealDate.now() + skew;
      }
    }
    globalThis.Date = SkewedDate as DateConstructor;
  }, SKEW_MS);
  const inst = await createInstance(db, { status: "running" });
  await pauseInstance(db, { instanceId: inst.id, reason: "Clock check", mode: "graceful" }, { id: null, label: "skew-test" });
  await signInAs(page, "operator");
  expect(await page.evaluate(() => Date.now() - performance.timeOrigin - performance.now())).toBeLessThan(-60_000);

  await page.goto(`/instances/${inst.id}`);
  await expect(page.getByRole("status", { name: "Pause" })).toContainText("Clock check");
  const times = page.locator("time");
  // Hydrated: relative text instead of the UTC time rendered on the server.
  await expect(times.first()).not.toContainText("UTC");
  for (const text of await times.allTextContents()) expect(text, "a past time shown as future").not.toMatch(/^in /);

  await page.goto("/instances?status=paused");
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: `Open instance ${inst.id}` }) });
  await expect(row.locator("time").first()).not.toContainText("UTC");
  for (const text of await row.locator("time").allTextContents()) expect(text, "a past time shown as future").not.toMatch(/^in /);
});
