import { eq } from "drizzle-orm";
import { gates } from "@/db/schema";
import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test("reject: comment, category and ticket survive a refused ticket link", async ({ page, db }) => {
  const { gate } = await createGatedInstance(db, { stage: "reject keeps input e2e" });
  await signInAs(page, "approver");
  await page.goto("/approvals");
  const card = page.getByRole("article", { name: "reject keeps input e2e" });
  await card.getByRole("button", { name: "Reject" }).click();
  const dialog = page.getByRole("dialog", { name: /Reject/ });
  await dialog.getByRole("textbox", { name: "Comment" }).fill("Error rate doubled on staging");
  await dialog.getByLabel("Category (optional)").selectOption("incident");
  await dialog.getByLabel("Ticket link (optional)").fill("jira/INC-42");
  await dialog.getByRole("button", { name: "Reject" }).click();

  const ticket = dialog.getByLabel("Ticket link (optional)");
  await expect(ticket).toHaveAccessibleDescription(/Give the ticket as a full link/);
  await expect(ticket).toHaveValue("jira/INC-42");
  await expect(dialog.getByLabel("Category (optional)")).toHaveValue("incident");
  await expect(dialog.getByRole("textbox", { name: "Comment" })).toHaveValue("Error rate doubled on staging");
  const [row] = await db.select().from(gates).where(eq(gates.id, gate.id));
  expect(row!.status).toBe("pending");
});
