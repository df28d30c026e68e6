import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

for (const role of ["auditor", "operator"] as const) {
  test(`the ${role}'s Approvals page shows the pending gates, read-only`, async ({ page, db }) => {
    await createGatedInstance(db, { stage: `pending for ${role} e2e` });
    await signInAs(page, role);
    await page.goto("/approvals");
    const card = page.getByRole("article", { name: `pending for ${role} e2e` });
    await expect(card).toBeVisible();
    await expect(card).toContainText("pending");
    await expect(page.getByText("No gate has been decided yet")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Approve" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Reject" })).toHaveCount(0);
  });
}
