import { eq } from "drizzle-orm";
import { gates } from "@/db/schema";
import { approveGate, rejectGate } from "@/lib/gates/decide-gate";
import { createGatedInstance, createUser } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

// Issue 12 §2: a gate dialog on /approvals vanished (with the typed comment) when another
// approver decided the gate meanwhile: the page's refresh dropped the settled gate's card. The
// dialog must stay with what was typed, say who decided and when, and not offer a moot decision.
test.describe("an open gate dialog when someone else decides first", () => {
  test("approve: the dialog stays, names who approved, keeps the comment and disables a moot approval", async ({ page, db }) => {
    const { gate } = await createGatedInstance(db, { stage: "conflict approve e2e" });
    const other = await createUser(db, "approver", { email: `other-${gate.id.slice(0, 8)}@approvers.test` });
    await signInAs(page, "approver");
    await page.goto("/approvals");
    const card = page.getByRole("article", { name: "conflict approve e2e" });
    await card.getByRole("button", { name: "Approve" }).click();
    const dialog = page.getByRole("dialog", { name: /Approve/ });
    await dialog.getByRole("textbox", { name: "Comment" }).fill("Checked the smoke tests myself");

    await approveGate(db, { gateId: gate.id, comment: "first!" }, other);

    // Appears once the page's refresh has re-rendered the card behind the dialog.
    const notice = dialog.getByRole("alert");
    await expect(notice).toContainText(`Approved by ${other.email}`);
    await expect(notice).toContainText("no longer pending");
    await expect(notice).toContainText("already approved");
    await expect(dialog.getByRole("textbox", { name: "Comment" })).toHaveValue("Checked the smoke tests myself");
    await expect(dialog.getByRole("button", { name: "Approve" })).toBeDisabled();

    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    // Closed, the settled gate leaves the inbox as before.
    await expect(card).toBeHidden();
    const [row] = await db.select().from(gates).where(eq(gates.id, gate.id));
    expect(row!.status).toBe("approved");
  });

  test("reject: someone else's rejection is named, and the typed comment stays", async ({ page, db }) => {
    const { gate } = await createGatedInstance(db, { stage: "conflict reject e2e" });
    const other = await createUser(db, "approver", { email: `rejector-${gate.id.slice(0, 8)}@approvers.test` });
    await signInAs(page, "approver");
    await page.goto("/approvals");
    await page.getByRole("article", { name: "conflict reject e2e" }).getByRole("button", { name: "Reject" }).click();
    const dialog = page.getByRole("dialog", { name: /Reject/ });
    await dialog.getByRole("textbox", { name: "Comment" }).fill("Error rate doubled");

    await rejectGate(db, { gateId: gate.id, comment: "Not today" }, other);

    const notice = dialog.getByRole("alert");
    await expect(notice).toContainText(`Rejected by ${other.email}`);
    await expect(notice).toContainText("already rejected");
    await expect(dialog.getByRole("textbox", { name: "Comment" })).toHaveValue("Error rate doubled");
    await expect(dialog.getByRole("button", { name: "Reject" })).toBeDisabled();
  });
});
