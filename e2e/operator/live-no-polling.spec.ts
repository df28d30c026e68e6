import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 15: an open instance page re-rendered itself every 3 s (a full server render with its
// history and gates) although the live stream already refreshes it on every change. Then it polled
// only while its steps could move (running, or a pause draining), since steps starting and
// finishing wrote no event; now workers notify those too (`progress` events, lib/step-progress.ts),
// so no instance page polls while the stream is connected. The page's timers run on Playwright's
// clock, so "20 seconds pass" takes no time and depends on no machine's speed.

/**
 * Counts the page's reads of its instance: router.refresh() calls (each asks the server for the
 * page's RSC payload, `RSC: 1`) and refetches of its live parts (GET /api/v1/instances/{id}).
 */
function countRefreshes(page: import("@playwright/test").Page, path: string) {
  const seen = { n: 0 };
  const api = `/api/v1${path}`;
  page.on("request", (request) => {
    const { pathname } = new URL(request.url());
    if ((pathname === path && request.headers()["rsc"] === "1") || pathname === api) seen.n++;
  });
  return seen;
}

test("an instance page does not poll while the live stream is connected, whether its steps can move or not", async ({ page, db }) => {
  const paused = await createInstance(db, { status: "paused" });
  const running = await createInstance(db, { status: "running", runningSteps: ["a"] });
  await signInAs(page, "operator");
  await page.clock.install();

  const idle = countRefreshes(page, `/instances/${paused.id}`);
  await page.goto(`/instances/${paused.id}`);
  await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
  await expect(page.getByText("Live", { exact: true })).toBeVisible();
  const before = idle.n;
  await page.clock.runFor(20_000);
  // A refresh the clock started would have been sent by now: the running page's refreshes below are seen the same way.
  await page.evaluate(() => fetch("/api/health").then((r) => r.status));
  expect(idle.n - before, "refreshes of a paused instance's page in 20 s with the stream connected").toBe(0);

  const busy = countRefreshes(page, `/instances/${running.id}`);
  await page.goto(`/instances/${running.id}`);
  await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
  await expect(page.getByText("Live", { exact: true })).toBeVisible();
  const start = busy.n;
  await page.clock.runFor(20_000);
  await page.evaluate(() => fetch("/api/health").then((r) => r.status));
  // Its steps' progress comes by `progress` events (e2e/operator/instance-live.spec.ts shows it arrive).
  expect(busy.n - start, "reads of a running instance's page in 20 s with the stream connected").toBe(0);
});
