import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "./support/fixtures";

test.describe("keyboard", () => {
  test("a skip link is the first stop on a dashboard page and moves focus to the content", async ({ page }) => {
    await signInAs(page, "operator");
    await page.goto("/workflows");
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    const skip = page.getByRole("link", { name: "Skip to content" });
    // Out of sight until focused, so it does not clutter the header for mouse users.
    await expect(skip).not.toBeInViewport();
    await page.keyboard.press("Tab");
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("main")).toBeFocused();
  });

  test("`/` focuses the instance search, but types a slash inside a field", async ({ page }) => {
    await signInAs(page, "operator");
    const search = page.getByRole("searchbox", { name: "Search by id" });
    await expect(search).not.toBeFocused();
    await page.keyboard.press("/");
    await expect(search).toBeFocused();
    // Already in a field: the key is a character like any other.
    await page.keyboard.type("4f/");
    await expect(search).toHaveValue("4f/");
  });

  test("Ctrl+Enter submits the open dialog's form, only once its submit is enabled", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Running");
    await page.getByRole("button", { name: "Pause" }).click();
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    const reason = dialog.getByRole("textbox", { name: "Reason" });
    await reason.focus();
    // No reason yet: the submit is disabled, so the shortcut does nothing.
    await page.keyboard.press("Control+Enter");
    await expect(dialog.getByRole("button", { name: "Pause instance" })).toBeDisabled();
    await expect(dialog).toBeVisible();
    await reason.fill("Keyboard drill");
    await page.keyboard.press("Control+Enter");
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("status", { name: "Pause" })).toContainText("Keyboard drill");

    // Meta (Cmd on a Mac) does the same.
    await page.getByRole("button", { name: "Resume" }).click();
    const resume = page.getByRole("dialog", { name: "Resume this instance" });
    await resume.getByRole("textbox", { name: "Reason" }).fill("Drill over");
    await page.keyboard.press("Meta+Enter");
    await expect(resume).toBeHidden();
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Running");
  });
});
