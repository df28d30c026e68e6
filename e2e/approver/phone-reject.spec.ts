import { createGatedInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

test.use({ viewport: { width: 390, height: 844 } });

test("on a phone the Reject dialog opens inside the screen and can be used", async ({ page, db }) => {
  // Its own stage name: a retry (or another run on the same database) finds its own card only.
  const stage = `phone reject e2e ${Date.now()}`;
  await createGatedInstance(db, { stage, instructions: "Check the **error budget** before you sign." });
  await signInAs(page, "approver");
  await page.goto("/approvals");
  const card = page.getByRole("article", { name: stage });
  await card.getByRole("button", { name: "Reject" }).click();
  const dialog = page.getByRole("dialog", { name: /Reject/ });
  await expect(dialog).toBeInViewport({ ratio: 1 });
  const comment = dialog.getByRole("textbox", { name: "Comment" });
  await expect(comment).toBeInViewport();
  await expect(dialog.getByRole("button", { name: "Reject" })).toBeInViewport();
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
});
