import { desc, eq } from "drizzle-orm";
import { instances } from "@/db/schema";
import { expect, signInAs, test } from "../support/fixtures";

test("an operator starts an instance from the workflows page, is told about bad input, then cancels it", async ({ page, db }) => {
  await signInAs(page, "operator");
  await page.getByRole("link", { name: "Workflows" }).click();
  const form = page.getByRole("form", { name: "Start access-request" });
  await form.getByLabel("hours (optional)").fill("500");
  await form.getByRole("button", { name: "Start instance" }).click();
  await expect(form.getByText(/Too big|less than or equal to 72/)).toBeVisible();

  await form.getByLabel("hours (optional)").fill("2");
  await form.getByLabel("engineer (optional)").fill("kim@example.com");
  await form.getByRole("button", { name: "Start instance" }).click();
  await expect(page.getByText(/^Started instance /)).toBeVisible();
  const [created] = await db.select().from(instances).where(eq(instances.workflowKey, "access-request")).orderBy(desc(instances.createdAt)).limit(1);
  expect(created!.input).toEqual({ engineer: "kim@example.com", hours: 2 });
  expect(created!.startedByLabel).toBe("operator@flowgate.dev");

  await page.goto(`/instances/${created!.id}`);
  await page.getByRole("button", { name: "Cancel instance" }).click();
  const dialog = page.getByRole("dialog", { name: "Cancel this instance" });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Requested by mistake");
  await dialog.getByRole("button", { name: "Cancel instance" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Cancelled");
  await expect(page.getByRole("list", { name: "Instance history" }).getByRole("listitem").first()).toContainText("Requested by mistake");
});
