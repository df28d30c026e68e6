import { eq, sql } from "drizzle-orm";
import { bulkOperationItems, bulkOperations, instances } from "@/db/schema";
import { createDefinition } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 14 §3: the operation's page follows it from GET /api/v1/bulk-operations/{id}/stream. To
// prove it is the stream that moves the page, the spec makes the JSON read of the operation (what
// the page used to poll every second, and still reads while the stream is down) fail for this
// page: the bar reaches 100 % all the same.

test("an operator's bulk operation page follows the worker's progress from the stream, with the poll cut off", async ({ page, db }) => {
  test.setTimeout(120_000);
  const def = await createDefinition(db);
  const targets = 16;
  await db.execute(sql`
    insert into instances (definition_id, workflow_key, status, started_by_label, paused_from_status, paused_at, paused_by_label, pause_reason, pause_mode, pause_kind)
    select ${def.id}::uuid, ${def.key}, 'paused', 'e2e', 'running', now(), 'night@ops.test', 'drill', 'graceful', 'manual' from generate_series(1, ${targets})`);
  // A resume by filter as the dialog starts one, but held by a lease of no real worker, so the page
  // is open before the first target is acted on; resumed at 4 a second, it then runs for about 4 s.
  const [op] = await db
    .insert(bulkOperations)
    .values({ action: "resume", filter: { status: "paused", workflow: def.key }, reason: "Drill over", matched: targets, ratePerSecond: 4, actorId: null, actorLabel: "operator@flowgate.dev", leaseOwner: "e2e-hold", leaseExpiresAt: new Date(Date.now() + 3_600_000) })
    .returning();
  await db.execute(sql`
    insert into ${bulkOperationItems} (operation_id, instance_id, seq)
    select ${op!.id}::uuid, id, row_number() over (order by id) from instances where workflow_key = ${def.key}`);

  let polls = 0;
  await page.route(`**/api/v1/bulk-operations/${op!.id}`, (route) => {
    polls++;
    return route.abort();
  });
  await signInAs(page, "operator");
  await page.goto(`/bulk-operations/${op!.id}`);
  const progress = page.getByRole("region", { name: "Progress" });
  const bar = page.getByRole("progressbar", { name: "Resumed so far" });
  await expect(bar).toHaveAttribute("aria-valuenow", "0");
  await expect(progress.getByText("Live", { exact: true })).toBeVisible();

  // The lease is let go, as a worker that stops does, and the real worker is woken to take it up.
  await db.update(bulkOperations).set({ leaseOwner: null, leaseExpiresAt: null }).where(eq(bulkOperations.id, op!.id));
  await db.execute(sql`select pg_notify('flowgate_bulk', ${op!.id})`);
  await expect(bar).not.toHaveAttribute("aria-valuenow", "0", { timeout: 30_000 });
  await page.screenshot({ path: "test-results/bulk-progress-stream-1440.png", fullPage: true });

  await expect(bar).toHaveAttribute("aria-valuenow", String(targets), { timeout: 60_000 });
  await expect(progress).toContainText("Completed");
  await expect(progress).toContainText(`${targets} of ${targets} done`);
  // The done event carries the whole operation: when it finished shows without a read of it.
  await expect(page.getByRole("region", { name: "Details" })).toContainText("Finished");
  await expect(progress.getByText("Live", { exact: true })).toHaveCount(0);

  const [row] = await db.select().from(bulkOperations).where(eq(bulkOperations.id, op!.id));
  expect(row).toMatchObject({ state: "completed" });
  const statuses = await db.select({ status: instances.status }).from(instances).where(eq(instances.workflowKey, def.key));
  expect(statuses.map((s) => s.status)).toEqual(Array(targets).fill("running"));
  // Whatever reads of the operation the page tried (react-query reads once on mount) failed: the stream did the rest.
  expect(polls).toBeLessThanOrEqual(1);

  await page.setViewportSize({ width: 390, height: 844 });
  await expect(bar).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/bulk-progress-stream-390.png", fullPage: true });
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: "test-results/bulk-progress-stream-390-dark.png", fullPage: true });
});
