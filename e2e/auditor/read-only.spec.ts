import { createInstance } from "@/test/support/factories";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { expect, signInAs, test } from "../support/fixtures";

test.describe("auditor", () => {
  test("reads instances and history but sees no Pause or Resume control", async ({ page, db }) => {
    const running = await createInstance(db, { status: "running" });
    const paused = await createInstance(db, { status: "running" });
    await pauseInstance(db, { instanceId: paused.id, reason: "held for audit" }, { id: null, label: "operator@flowgate.dev" });

    await signInAs(page, "auditor");
    await page.goto(`/instances/${running.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Running");
    await expect(page.getByRole("button", { name: "Pause" })).toHaveCount(0);

    await page.goto(`/instances/${paused.id}`);
    await expect(page.getByRole("status", { name: "Pause" })).toContainText("held for audit");
    await expect(page.getByRole("button", { name: "Resume" })).toHaveCount(0);

    await page.getByRole("link", { name: "History" }).click();
    await expect(page.getByRole("heading", { name: "History" })).toBeVisible();
    await expect(page.getByRole("cell", { name: "held for audit" }).first()).toBeVisible();
  });
});
