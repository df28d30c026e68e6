import { randomUUID } from "node:crypto";
import { expect, signInAs, test } from "../support/fixtures";

test.describe("operator", () => {
  test("an unknown instance id shows the dashboard's not-found page, with the way back to Instances", async ({ page }) => {
    await signInAs(page, "operator");
    for (const id of [randomUUID(), "not-an-id"]) {
      const response = await page.goto(`/instances/${id}`);
      expect(response?.status()).toBe(404);
      await expect(page.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
      // Inside the dashboard: its navigation is still there.
      await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
    }
    for (const width of [1440, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: test.info().outputPath(`not-found-${width}.png`), fullPage: true });
    }
    await page.getByRole("link", { name: "Back to Instances" }).click();
    await expect(page).toHaveURL(/\/instances$/);
    await expect(page.getByRole("heading", { name: "Instances" })).toBeVisible();
  });
});
