import { and, eq } from "drizzle-orm";
import { instances } from "@/db/schema";
import { failInstance } from "@/lib/instances/lifecycle/advance";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test.describe("a failed instance", () => {
  test("the step list shows the step the failure names as failed, with its error", async ({ page, db }) => {
    // A step that lost its worker too often fails the instance while its last run is queued: the
    // ending cancels that run, so the run alone would say "cancelled" while the banner names the step.
    const inst = await createInstance(db, { status: "running", runningSteps: ["a"] });
    await db.transaction(async (tx) => {
      const [row] = await tx.select().from(instances).where(eq(instances.id, inst.id)).for("update");
      await failInstance(tx, row!, 'Step "a" lost its worker 3 times; it may be what crashes it, so it is not run again', { step: "a" });
    });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Failed");
    await expect(page.getByRole("alert").filter({ hasText: "lost its worker 3 times" })).toBeVisible();

    const stepA = page.getByRole("table", { name: "Steps" }).getByRole("row", { name: /Step A/ });
    await expect(stepA.getByText("failed", { exact: true })).toBeVisible();
    await expect(stepA).toContainText("lost its worker 3 times");
    const stepB = page.getByRole("table", { name: "Steps" }).getByRole("row", { name: /Step B/ });
    await expect(stepB.getByText("not started", { exact: true })).toBeVisible();
  });

  test("the demo ETL failure shows its failed transform step, not 'not started'", async ({ page, db }) => {
    const [etl] = await db.select({ id: instances.id }).from(instances).where(and(eq(instances.workflowKey, "nightly-etl"), eq(instances.status, "failed")));
    await signInAs(page, "operator");
    await page.goto(`/instances/${etl!.id}`);
    await expect(page.getByRole("alert").filter({ hasText: "transform-customers" })).toBeVisible();
    const step = page.getByRole("table", { name: "Steps" }).getByRole("row", { name: /Transform customers/i });
    await expect(step.getByText("failed", { exact: true })).toBeVisible();
    await expect(step).toContainText("HTTP 503");
  });

  test("the cancel dialog's buttons cannot be mistaken for each other", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Cancel instance" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this instance" });
    await expect(dialog.getByRole("button", { name: "Cancel instance" })).toBeVisible();
    await expect(dialog.getByRole("button", { name: "Cancel", exact: true })).toHaveCount(0);
    await dialog.getByRole("button", { name: "Keep instance" }).click();
    await expect(dialog).toBeHidden();
    const [after] = await db.select().from(instances).where(eq(instances.id, inst.id));
    expect(after!.status).toBe("running");
  });
});
