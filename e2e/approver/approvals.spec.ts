import { and, eq } from "drizzle-orm";
import { gates, instances, stepRuns } from "@/db/schema";
import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test.describe("approver", () => {
  test("approves a staging gate from the inbox and the instance moves on to the gated step", async ({ page, db }) => {
    const { instance, gate } = await createGatedInstance(db, { stage: "staging sign-off e2e", instructions: "Check **smoke tests** and the [dashboard](https://example.com/d)." });
    await signInAs(page, "approver");
    await page.getByRole("link", { name: /Approvals/ }).click();
    const card = page.getByRole("article", { name: "staging sign-off e2e" });
    await expect(card).toContainText("0 of 1 approval");
    await expect(card.getByRole("link", { name: "dashboard" })).toHaveAttribute("href", "https://example.com/d");

    await card.getByRole("button", { name: "Approve" }).click();
    const dialog = page.getByRole("dialog", { name: /Approve/ });
    await dialog.getByRole("textbox", { name: "Comment" }).fill("Smoke tests green");
    await dialog.getByRole("button", { name: "Approve" }).click();
    await expect(page.getByText("Gate approved: the instance moves on")).toBeVisible();
    await expect(card).toBeHidden();

    await page.goto(`/instances/${instance.id}`);
    await expect(page.getByRole("heading", { level: 1 })).toContainText("Running");
    const stages = page.getByRole("list", { name: "Approval stages" });
    await expect(stages).toContainText("staging sign-off e2e");
    await expect(stages).toContainText("Approved by approver@flowgate.dev");
    await expect(stages).toContainText("Smoke tests green");

    const [row] = await db.select().from(gates).where(eq(gates.id, gate.id));
    expect(row!.status).toBe("approved");
    const runs = await db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, instance.id), eq(stepRuns.stepKey, "b")));
    expect(runs).toHaveLength(1);
  });

  test("a rejection without a comment shows a field error and decides nothing", async ({ page, db }) => {
    const { instance, gate } = await createGatedInstance(db, { stage: "reject e2e" });
    await signInAs(page, "approver");
    await page.goto("/approvals");
    const card = page.getByRole("article", { name: "reject e2e" });
    await card.getByRole("button", { name: "Reject" }).click();
    const dialog = page.getByRole("dialog", { name: /Reject/ });
    const comment = dialog.getByRole("textbox", { name: "Comment" });
    await comment.fill("x");
    await comment.fill("");
    await expect(dialog.getByText("Say why you reject: the requester needs to know")).toBeVisible();
    await expect(dialog.getByRole("button", { name: "Reject" })).toBeDisabled();

    await comment.fill("Error rate doubled on staging");
    await dialog.getByRole("button", { name: "Reject" }).click();
    await expect(page.getByText("Gate rejected: the instance has failed")).toBeVisible();
    const [row] = await db.select().from(gates).where(eq(gates.id, gate.id));
    expect(row!.status).toBe("rejected");
    const [inst] = await db.select().from(instances).where(eq(instances.id, instance.id));
    expect(inst!.status).toBe("failed");
  });
});
