import { and, eq } from "drizzle-orm";
import type { Page, Route } from "@playwright/test";
import { instances, stepRuns, users } from "@/db/schema";
import { startInstance } from "@/lib/instances/start-instance";
import { issueToken } from "@/lib/users/tokens";
import { createInstance } from "@/test/support/factories";
import { catalog } from "@/workflows/catalog";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 15 §4: an instance page showed a change only once its whole server render (RSC) came
// back, and showed step progress only by re-rendering every 3 s. Its moving parts now read the
// instance as JSON (React Query), which the live stream refetches: on a `change` event for a
// pause, on a `progress` event when a worker's steps start or finish. These specs hold every RSC
// request of the page unanswered once it has loaded, so only that JSON read can move it.

/** From now on, the page's RSC requests (router.refresh, its polls) wait forever; returns how many were held. */
async function holdServerRenders(page: Page, path: string): Promise<{ held: Route[] }> {
  const state = { held: [] as Route[] };
  await page.route(
    (url) => url.pathname === path,
    (route) => {
      // Held, not aborted: a failed RSC fetch makes Next.js reload the page, which would show the change anyway.
      if (route.request().headers()["rsc"] === "1") state.held.push(route);
      else return route.continue();
    },
  );
  return state;
}

test.afterEach(async ({ page }) => {
  await page.unrouteAll({ behavior: "ignoreErrors" });
});

test("an instance page shows a pause made through the API while its server render is held", async ({ page, db, request }) => {
  const instance = await createInstance(db, { status: "running" });
  const [operator] = await db.select().from(users).where(eq(users.email, "operator@flowgate.dev"));
  const { token } = await issueToken(db, { userId: operator!.id, name: "instance-live e2e", expiresInDays: "7" }, operator!);
  await signInAs(page, "operator");
  const path = `/instances/${instance.id}`;
  await page.goto(path);
  const heading = page.getByRole("heading", { level: 1 });
  await expect(heading).toContainText("Running");
  await expect(page.getByText("Live", { exact: true })).toBeVisible();
  const renders = await holdServerRenders(page, path);

  const response = await request.post(`/api/v1/instances/${instance.id}/pause`, {
    headers: { authorization: `Bearer ${token}` },
    data: { reason: "Held render check", mode: "graceful" },
  });
  expect(response.status()).toBe(200);

  await expect(heading).toContainText("Paused");
  const banner = page.getByRole("status", { name: "Pause" });
  await expect(banner).toContainText("Paused by operator@flowgate.dev");
  await expect(banner).toContainText("Held render check");
  // The stream did ask for a server render too (the history): it is the one being held.
  await expect.poll(() => renders.held.length).toBeGreaterThan(0);
  const [stored] = await db.select({ status: instances.status, reason: instances.pauseReason }).from(instances).where(eq(instances.id, instance.id));
  expect(stored).toEqual({ status: "paused", reason: "Held render check" });
});

test("an instance page shows its steps start and finish without its 3 s poll, while its server render is held", async ({ page, db }) => {
  test.setTimeout(120_000);
  await signInAs(page, "operator");
  const started = await startInstance(db, { workflow: "nightly-etl", input: { loadCheck: "never" } }, { id: null, label: "e2e@flowgate.dev" }, { catalog });
  const path = `/instances/${started.id}`;
  await page.goto(path);
  await expect(page.getByText("Live", { exact: true })).toBeVisible();
  await holdServerRenders(page, path);
  const stepRow = (name: string) => page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: new RegExp(`^${name}`) }) });

  // The worker's own pace decides when; the page must follow the database, whatever it was at first paint.
  const runOf = async (key: string) => (await db.select({ status: stepRuns.status }).from(stepRuns).where(and(eq(stepRuns.instanceId, started.id), eq(stepRuns.stepKey, key))))[0]?.status;
  await expect.poll(() => runOf("extract"), { timeout: 60_000 }).toBe("completed");
  await expect(stepRow("Extract")).toContainText("completed");
  await expect.poll(() => runOf("load"), { timeout: 60_000 }).toBe("completed");
  await expect(stepRow("Load warehouse")).toContainText("completed");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Completed");
});
