import { sql } from "drizzle-orm";
import { auditCheckpoints, history } from "@/db/schema";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test("Clear resets the filter form too, so the next Apply does not bring the old filters back", async ({ page }) => {
  await signInAs(page, "auditor");
  await page.goto("/history");
  const filters = page.getByRole("search", { name: "Filter history" });
  await filters.getByLabel("Action").selectOption({ label: "Paused" });
  await filters.getByLabel("Reason contains").fill("maintenance");
  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/action=paused/);

  await filters.getByRole("link", { name: "Clear" }).click();
  await expect(page).toHaveURL(/\/history$/);
  await expect(filters.getByLabel("Action")).toHaveValue("");
  await expect(filters.getByLabel("Reason contains")).toHaveValue("");

  await filters.getByRole("button", { name: "Apply filters" }).click();
  await expect(page).toHaveURL(/\/history\?/);
  expect(new URL(page.url()).searchParams.get("action") ?? "").toBe("");
  expect(new URL(page.url()).searchParams.get("q") ?? "").toBe("");
});

test("the chain banner says which rows written since the last verification are not yet verified", async ({ page, db }) => {
  // A checkpoint through today's newest row (as `npm run audit:verify` records it), then one more
  // history row: the banner must not claim the whole log is proven.
  const [head] = await db.select({ maxId: sql<number>`max(${history.id})::int`, rows: sql<number>`count(*)::int`, chains: sql<number>`count(distinct ${history.instanceId})::int` }).from(history);
  await db.insert(auditCheckpoints).values({ throughId: head!.maxId, rows: head!.rows, chains: head!.chains, headsHash: "e2e", ok: "ok", durationMs: 1 });
  await createInstance(db);
  await signInAs(page, "auditor");
  await page.goto("/history");
  await expect(page.getByRole("status").filter({ hasText: "Chain verified" })).toContainText(/\d+ newer rows? not verified yet/);
});

test("page 2 of the history has a Previous page link back to page 1", async ({ page }) => {
  await signInAs(page, "auditor");
  await page.goto("/history?limit=5");
  const table = page.getByRole("table", { name: "History entries" });
  // A row is known by its exact time and instance; relative times ("2 sec. ago") move on their own.
  const rowKeys = () => table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => `${r.querySelector("time")?.getAttribute("datetime")} ${r.querySelector("a")?.getAttribute("aria-label")}`));
  await expect(table.locator("tbody tr")).toHaveCount(5);
  const firstPage = await rowKeys();
  await expect(page.getByRole("link", { name: "Previous page" })).toHaveCount(0);
  await page.getByRole("link", { name: "Next page" }).click();
  await expect(page).toHaveURL(/cursor=/);
  await page.getByRole("link", { name: "Previous page" }).click();
  await expect(page).toHaveURL(/before=/);
  await expect.poll(rowKeys).toEqual(firstPage);
});
