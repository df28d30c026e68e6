import { expect, signInAs, test } from "./support/fixtures";

test("history cannot be written through any route, whatever the role", async ({ page }) => {
  await signInAs(page, "admin");
  for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
    const response = await page.request.fetch("/api/v1/history", { method, headers: { "content-type": "application/json" }, data: {} });
    expect(response.status(), `${method} /api/v1/history`).toBe(405);
  }
  const list = await page.request.get("/api/v1/history?limit=1");
  expect(list.status()).toBe(200);
});
