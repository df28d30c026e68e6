import { eq } from "drizzle-orm";
import { instances } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Someone else acts while a dialog is open: the live update must not take the dialog (and what
// was typed in it) away; the dialog says who acted and when, and whether acting still makes sense.
test.describe("an open dialog when someone else acts first", () => {
  test("pause: the dialog stays, names who paused, keeps the text and disables a moot pause", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Pause" }).click();
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Typed before the other pause");
    await dialog.getByLabel(/Immediate/).check();

    await pauseInstance(db, { instanceId: inst.id, reason: "first!" }, { id: null, label: "operator2@flowgate.dev" });

    // Appears once the live update has re-rendered the page behind the dialog.
    const notice = dialog.getByRole("alert");
    await expect(notice).toContainText("Paused by operator2@flowgate.dev");
    await expect(notice).toContainText("no longer running");
    await expect(notice).toContainText("The instance is already paused");
    await expect(dialog.getByRole("textbox", { name: "Reason" })).toHaveValue("Typed before the other pause");
    await expect(dialog.getByLabel(/Immediate/)).toBeChecked();
    await expect(dialog.getByRole("button", { name: "Pause instance" })).toBeDisabled();

    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status", { name: "Pause" })).toContainText("Paused by operator2@flowgate.dev");
    await expect(page.getByRole("button", { name: "Pause", exact: true })).toHaveCount(0);
  });

  test("resume: a resume of an instance someone else resumed is moot and says so", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await pauseInstance(db, { instanceId: inst.id, reason: "held for the test" }, { id: null, label: "night@ops.test" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Resume" }).click();
    const dialog = page.getByRole("dialog", { name: "Resume this instance" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Load is back to normal");

    await resumeInstance(db, { instanceId: inst.id, reason: "done" }, { id: null, label: "operator2@flowgate.dev" });

    const notice = dialog.getByRole("alert");
    await expect(notice).toContainText("Resumed by operator2@flowgate.dev");
    await expect(notice).toContainText("Only a paused instance can be resumed");
    await expect(dialog.getByRole("textbox", { name: "Reason" })).toHaveValue("Load is back to normal");
    await expect(dialog.getByRole("button", { name: "Resume instance" })).toBeDisabled();
  });

  test("cancel: still possible after someone pauses, so the dialog says what changed and lets the user go on", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Cancel instance" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this instance" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Superseded by a newer run");

    await pauseInstance(db, { instanceId: inst.id, reason: "first!" }, { id: null, label: "operator2@flowgate.dev" });
    await expect(dialog.getByRole("alert")).toContainText("Paused by operator2@flowgate.dev");
    const submit = dialog.getByRole("button", { name: "Cancel instance" });
    await expect(submit).toBeEnabled();
    await submit.click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Cancelled");
    const [after] = await db.select().from(instances).where(eq(instances.id, inst.id));
    expect(after!.status).toBe("cancelled");
  });
});
