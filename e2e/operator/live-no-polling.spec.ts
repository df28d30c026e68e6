import { LIVE_FALLBACK_MS } from "@/components/live-status";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 15: an open instance page re-rendered itself every 3 s (a full server render with its
// history and gates) although the live stream already refreshes it on every change. While the
// stream is connected, polling is only a once-a-minute safety net. The page's timers run on
// Playwright's clock, so "20 seconds pass" takes no time and depends on no machine's speed.

test("an instance page with the live stream connected does not poll every few seconds; its slow fallback still fires", async ({ page, db }) => {
  const inst = await createInstance(db, { status: "running" });
  await signInAs(page, "operator");
  await page.clock.install();
  let refreshes = 0;
  page.on("request", (request) => {
    // router.refresh() asks the server for the page's RSC payload: a request to the page's own path with `RSC: 1`.
    if (new URL(request.url()).pathname === `/instances/${inst.id}` && request.headers()["rsc"] === "1") refreshes++;
  });
  await page.goto(`/instances/${inst.id}`);
  await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
  await expect(page.getByText("Live", { exact: true })).toBeVisible();

  const before = refreshes;
  await page.clock.runFor(20_000);
  // A refresh the clock started would have been sent by now: the fallback's own refresh below is seen the same way.
  await page.evaluate(() => fetch("/api/health").then((r) => r.status));
  expect(refreshes - before, "refreshes in 20 s with the stream connected").toBe(0);

  await page.clock.runFor(LIVE_FALLBACK_MS);
  await expect.poll(() => refreshes - before, { message: "the once-a-minute fallback refresh" }).toBeGreaterThan(0);
});
