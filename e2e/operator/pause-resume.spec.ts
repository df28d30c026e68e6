import { eq } from "drizzle-orm";
import { history, instances } from "@/db/schema";
import { createInstance } from "@/test/support/factories";
import type { Route } from "@playwright/test";
import { expect, signInAs, test } from "../support/fixtures";

test.describe("operator", () => {
  test("pauses a running instance with a reason, finds it under Paused, resumes it, and sees both in its history", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Running");

    await page.getByRole("button", { name: "Pause" }).click();
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Database failover drill");
    await dialog.getByLabel(/Immediate/).check();
    await dialog.getByRole("button", { name: "Pause instance" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status", { name: "Pause" })).toContainText("Paused by operator@flowgate.dev");
    await expect(page.getByRole("status", { name: "Pause" })).toContainText("Database failover drill");

    await page.getByRole("link", { name: "Instances" }).first().click();
    await page.getByRole("button", { name: /^Paused/ }).click();
    await expect(page).toHaveURL(/status=paused/);
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: `Open instance ${inst.id}` }) });
    await expect(row).toContainText("Database failover drill");
    await expect(row).toContainText("operator@flowgate.dev");

    await row.getByRole("link", { name: `Open instance ${inst.id}` }).click();
    await page.getByRole("button", { name: "Resume" }).click();
    const resume = page.getByRole("dialog", { name: "Resume this instance" });
    await resume.getByRole("textbox", { name: "Reason" }).fill("Drill finished");
    await resume.getByRole("button", { name: "Resume instance" }).click();
    await expect(resume).toBeHidden();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Running");

    const timeline = page.getByRole("list", { name: "Instance history" });
    await expect(timeline.getByRole("listitem").nth(0)).toContainText("Resumed");
    await expect(timeline.getByRole("listitem").nth(0)).toContainText("Drill finished");
    await expect(timeline.getByRole("listitem").nth(1)).toContainText("Paused");
    await expect(timeline.getByRole("listitem").nth(1)).toContainText("Database failover drill");

    const rows = await db.select().from(history).where(eq(history.instanceId, inst.id)).orderBy(history.seq);
    expect(rows.map((r) => [r.action, r.actorLabel, r.reason])).toEqual([
      ["started", "test", null],
      ["paused", "operator@flowgate.dev", "Database failover drill"],
      ["resumed", "operator@flowgate.dev", "Drill finished"],
    ]);
    const [after] = await db.select().from(instances).where(eq(instances.id, inst.id));
    expect(after!.status).toBe("running");
  });

  test("an empty or over-long reason shows a field error and pauses nothing", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Pause" }).click();
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    const reason = dialog.getByRole("textbox", { name: "Reason" });
    const submit = dialog.getByRole("button", { name: "Pause instance" });

    await reason.fill("x");
    await reason.fill("");
    await expect(dialog.getByText("Say why you are pausing")).toBeVisible();
    await expect(reason).toHaveAttribute("aria-invalid", "true");
    await expect(submit).toBeDisabled();

    await reason.fill("y".repeat(501));
    await expect(dialog.getByText("Keep the reason to 500 characters")).toBeVisible();
    await expect(submit).toBeDisabled();

    await reason.fill("z".repeat(500));
    await expect(submit).toBeEnabled();
    await dialog.getByRole("button", { name: "Cancel" }).click();

    const [after] = await db.select().from(instances).where(eq(instances.id, inst.id));
    expect(after!.status).toBe("running");
  });

  test("a second operator acting on a stale page gets a conflict naming who paused first", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    // A stale page is one the news has not reached: no live stream, and the page's refreshes
    // (GETs with the RSC header) held until the end. Otherwise the open dialog would learn of the
    // other pause first and say so itself (e2e/operator/dialog-conflict.spec.ts).
    await page.route("**/api/v1/stream", (route) => route.abort());
    const held: Route[] = [];
    await page.route(`**/instances/${inst.id}**`, (route) => (route.request().method() === "GET" && route.request().headers()["rsc"] ? void held.push(route) : route.continue()));
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Pause" }).click();
    // Someone else pauses through the API-equivalent use case while this dialog is open.
    const { pauseInstance } = await import("@/lib/instances/pause-instance");
    await pauseInstance(db, { instanceId: inst.id, reason: "first!" }, { id: null, label: "admin@flowgate.dev" });
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("second");
    await dialog.getByRole("button", { name: "Pause instance" }).click();
    await expect(dialog.getByRole("alert")).toContainText("Already paused by admin@flowgate.dev");
    await page.unrouteAll({ behavior: "ignoreErrors" });
    for (const route of held) await route.continue().catch(() => {});
  });
});
