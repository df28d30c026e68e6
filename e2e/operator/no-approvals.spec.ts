import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test("an operator sees gates but no Approve or Reject button", async ({ page, db }) => {
  const { instance } = await createGatedInstance(db, { stage: "operator cannot sign" });
  await signInAs(page, "operator");
  await page.goto(`/instances/${instance.id}`);
  await expect(page.getByRole("list", { name: "Approval stages" })).toContainText("operator cannot sign");
  await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await page.goto("/approvals");
  await expect(page.getByRole("heading", { name: "Approvals" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Reject" })).toHaveCount(0);
});
