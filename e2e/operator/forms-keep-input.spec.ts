import { desc, eq, inArray } from "drizzle-orm";
import { instances } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// A server refusal must leave every control as the person left it: only the field at fault
// gets a message beside it, and nothing is written.
test.describe("operator forms keep what was entered after a server error", () => {
  test("pause: reason, mode, category and ticket survive a refused ticket link", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Pause" }).click();
    const dialog = page.getByRole("dialog", { name: "Pause this instance" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Incident 42: stop now");
    await dialog.getByLabel(/Immediate/).check();
    await dialog.getByLabel("Category (optional)").selectOption("incident");
    await dialog.getByLabel("Ticket link (optional)").fill("jira/INC-42");
    await dialog.getByRole("button", { name: "Pause instance" }).click();

    const ticket = dialog.getByLabel("Ticket link (optional)");
    await expect(ticket).toHaveAccessibleDescription(/Give the ticket as a full link/);
    await expect(ticket).toHaveValue("jira/INC-42");
    await expect(dialog.getByLabel(/Immediate/)).toBeChecked();
    await expect(dialog.getByLabel("Category (optional)")).toHaveValue("incident");
    await expect(dialog.getByRole("textbox", { name: "Reason" })).toHaveValue("Incident 42: stop now");
    const [after] = await db.select().from(instances).where(eq(instances.id, inst.id));
    expect(after!.status).toBe("running");
  });

  test("resume: Force stays ticked when the server asks for a reason", async ({ page, db }) => {
    const inst = await createInstance(db, { status: "running" });
    await pauseInstance(db, { instanceId: inst.id, reason: "held for the test" }, { id: null, label: "night@ops.test" });
    await signInAs(page, "operator");
    await page.goto(`/instances/${inst.id}`);
    await page.getByRole("button", { name: "Resume" }).click();
    const dialog = page.getByRole("dialog", { name: "Resume this instance" });
    await dialog.getByLabel(/Force/).check();
    await dialog.getByLabel("Category (optional)").selectOption("maintenance");
    await dialog.getByRole("button", { name: "Resume instance" }).click();

    await expect(dialog.getByRole("textbox", { name: "Reason" })).toHaveAccessibleDescription(/A forced resume needs a reason/);
    await expect(dialog.getByLabel(/Force/)).toBeChecked();
    await expect(dialog.getByLabel("Category (optional)")).toHaveValue("maintenance");
    const [after] = await db.select().from(instances).where(eq(instances.id, inst.id));
    expect(after!.status).toBe("paused");
  });

  test("bulk pause: category and ticket survive a refused ticket link", async ({ page, db }) => {
    const a = await createInstance(db);
    const b = await createInstance(db);
    await signInAs(page, "operator");
    for (const inst of [a, b]) await page.getByRole("checkbox", { name: `Select instance ${inst.id}` }).check();
    await page.getByRole("region", { name: "Selected instances" }).getByRole("button", { name: "Pause selected" }).click();
    const dialog = page.getByRole("dialog", { name: "Pause 2 instances" });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Change freeze");
    await dialog.getByLabel("Category (optional)").selectOption("cost");
    await dialog.getByLabel("Ticket link (optional)").fill("OPS-7");
    await dialog.getByRole("button", { name: "Pause 2" }).click();

    const ticket = dialog.getByLabel("Ticket link (optional)");
    await expect(ticket).toHaveAccessibleDescription(/Give the ticket as a full link/);
    await expect(ticket).toHaveValue("OPS-7");
    await expect(dialog.getByLabel("Category (optional)")).toHaveValue("cost");
    const rows = await db.select().from(instances).where(inArray(instances.id, [a.id, b.id]));
    expect(rows.map((r) => r.status)).toEqual(["running", "running"]);
  });

  test("start: every input field keeps its value when one is refused", async ({ page, db }) => {
    await signInAs(page, "operator");
    await page.getByRole("link", { name: "Workflows" }).click();
    const form = page.getByRole("form", { name: "Start access-request" });
    await form.getByLabel("engineer (optional)").fill("kim@example.com");
    await form.getByLabel("hours (optional)").fill("500");
    const before = await db.select({ id: instances.id }).from(instances).where(eq(instances.workflowKey, "access-request")).orderBy(desc(instances.createdAt)).limit(1);
    await form.getByRole("button", { name: "Start instance" }).click();

    await expect(form.getByLabel("hours (optional)")).toHaveAccessibleDescription(/Too big|less than or equal to 72/);
    await expect(form.getByLabel("hours (optional)")).toHaveValue("500");
    await expect(form.getByLabel("engineer (optional)")).toHaveValue("kim@example.com");
    const after = await db.select({ id: instances.id }).from(instances).where(eq(instances.workflowKey, "access-request")).orderBy(desc(instances.createdAt)).limit(1);
    expect(after).toEqual(before);
  });
});
