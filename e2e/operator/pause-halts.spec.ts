import { and, eq, gt } from "drizzle-orm";
import { instances, stepRuns } from "@/db/schema";
import { startInstance } from "@/lib/instances/start-instance";
import { catalog } from "@/workflows/catalog";
import { expect, signInAs, test } from "../support/fixtures";

test("an operator pauses a running demo instance, watches it stay still, resumes it and watches it finish", async ({ page, db }) => {
  test.setTimeout(120_000);
  await signInAs(page, "operator");
  const started = await startInstance(db, { workflow: "nightly-etl", input: { loadCheck: "never" } }, { id: null, label: "e2e@flowgate.dev" }, { catalog });
  await page.goto(`/instances/${started.id}`);
  const heading = page.getByRole("heading", { level: 1 });
  await expect(heading).toContainText("Running");
  // Pause at once, while the first steps are still in flight: the pause must stop the rest.
  await page.getByRole("button", { name: "Pause" }).click();
  const dialog = page.getByRole("dialog", { name: "Pause this instance" });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Warehouse maintenance window");
  await dialog.getByRole("button", { name: "Pause instance" }).click();
  await expect(dialog).toBeHidden();
  // Graceful: whatever was running finishes, then the instance is fully paused.
  await expect(page.getByRole("status", { name: "Pause" })).toContainText(/^Paused by operator@flowgate.dev/, { timeout: 30_000 });

  const [paused] = await db.select().from(instances).where(eq(instances.id, started.id));
  const before = await db.select().from(stepRuns).where(eq(stepRuns.instanceId, started.id));
  // The pause caught it mid-way: the final step has not started (it may be queued behind the pause).
  expect(before.some((r) => r.stepKey === "load" && r.startedAt)).toBe(false);
  // Watch it stay still for a few seconds, as a person would.
  await page.waitForTimeout(4_000);
  await expect(heading).toContainText("Paused");
  const after = await db.select().from(stepRuns).where(eq(stepRuns.instanceId, started.id));
  expect(after.map((r) => [r.id, r.status])).toEqual(before.map((r) => [r.id, r.status]));
  const startedSincePause = await db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, started.id), gt(stepRuns.startedAt, paused!.pausedAt!)));
  expect(startedSincePause).toEqual([]);

  await page.getByRole("button", { name: "Resume" }).click();
  const resume = page.getByRole("dialog", { name: "Resume this instance" });
  await resume.getByRole("textbox", { name: "Reason" }).fill("Window over");
  // loadCheck "never": the ETL's resume condition passes (see the next test for one that does not).
  await resume.getByRole("button", { name: "Resume instance" }).click();
  await expect(resume).toBeHidden();
  await expect(heading).toContainText("Completed", { timeout: 60_000 });

  const runs = await db.select().from(stepRuns).where(eq(stepRuns.instanceId, started.id));
  const completed = runs.filter((r) => r.status === "completed").map((r) => r.stepKey).sort();
  // Every step finished exactly once: nothing completed before the pause ran again.
  expect(completed).toEqual(["extract", "load", "transform-customers", "transform-inventory", "transform-orders"]);
});

test("a resume through the REST API checks the workflow's resume condition, from a fresh server's first resume on", async ({ page, db }) => {
  test.setTimeout(120_000);
  await signInAs(page, "operator");
  // loadCheck "always": the first step pauses the workflow for load, and the condition never passes.
  const started = await startInstance(db, { workflow: "nightly-etl", input: { loadCheck: "always" } }, { id: null, label: "e2e@flowgate.dev" }, { catalog });
  await expect
    .poll(async () => (await db.select().from(instances).where(eq(instances.id, started.id)))[0]!.status, { timeout: 60_000 })
    .toBe("paused");
  const refused = await page.request.post(`/api/v1/instances/${started.id}/resume`, { data: { reason: "try it" } });
  expect(refused.status()).toBe(409);
  expect((await refused.json()).error.message).toContain("Resume condition not met: system load stays above");
  expect((await db.select().from(instances).where(eq(instances.id, started.id)))[0]!.status).toBe("paused");

  const forced = await page.request.post(`/api/v1/instances/${started.id}/resume`, { data: { reason: "load is fine, checked by hand", force: true } });
  expect(forced.status()).toBe(200);
});
