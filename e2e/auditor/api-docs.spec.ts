import { expect, signInAs, test } from "../support/fixtures";

declare global {
  interface Window {
    reportCspViolation: (text: string) => void;
  }
}

// Issue 13 §2: the interactive API reference at /api/docs, for signed-in users, renders from the
// app's own bundle under the production CSP (no 'unsafe-eval', scripts only by nonce) and breaks
// none of its rules. An auditor is enough: every role may read it.
test("the API reference opens for a signed-in user, renders the document, and breaks no CSP rule", async ({ page }) => {
  const violations: string[] = [];
  await page.exposeFunction("reportCspViolation", (text: string) => violations.push(`${page.url()}: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
  });
  const consoleViolations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) consoleViolations.push(m.text());
  });

  // Anonymous: sent to sign in, and the document itself answers 401.
  await page.goto("/api/docs");
  await expect(page).toHaveURL(/\/sign-in/);
  expect((await page.request.get("/api/v1/openapi.json")).status()).toBe(401);

  await signInAs(page, "auditor");
  const response = await page.goto("/api/docs");
  expect(response!.headers()["content-security-policy"]).not.toContain("unsafe-eval");
  // Scalar has rendered the operations of the document (their summaries come from lib/api/openapi.ts).
  await expect(page.getByRole("heading", { name: "Flowgate API" }).first()).toBeVisible();
  await expect(page.getByText("Pause an instance").first()).toBeVisible();
  // Tags open on demand: the gates' operations are there too.
  await page.getByRole("button", { name: "Gates" }).first().click();
  await expect(page.getByText("Approve a gate").first()).toBeVisible();

  expect(violations).toEqual([]);
  expect(consoleViolations).toEqual([]);
});
