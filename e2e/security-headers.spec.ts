import { createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "./support/fixtures";

declare global {
  interface Window {
    reportCspViolation: (text: string) => void;
  }
}

test("pages carry a nonce CSP and the security headers, hydrate under it, and break no rule of it", async ({ page, db }) => {
  // Every CSP violation on every page visited, as the browser reports it: the DOM event (sent to
  // the test through an exposed function, which survives navigations) and its console message.
  const violations: string[] = [];
  await page.exposeFunction("reportCspViolation", (text: string) => violations.push(`${page.url()}: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => window.reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
  });
  const consoleViolations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) consoleViolations.push(m.text());
  });

  const response = await page.goto("/sign-in");
  const headers = response!.headers();
  const csp = headers["content-security-policy"] ?? "";
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  expect(nonce, csp).toBeTruthy();
  expect(csp).toContain("'strict-dynamic'");
  expect(csp).not.toContain("unsafe-eval");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  // The e2e server is production over plain HTTP: no HSTS.
  expect(headers["strict-transport-security"]).toBeUndefined();
  // Next put this response's nonce on every script it rendered.
  const scriptNonces = await page.locator("script").evaluateAll((scripts) => scripts.map((s) => (s as HTMLScriptElement).nonce));
  expect(scriptNonces.length).toBeGreaterThan(0);
  expect(new Set(scriptNonces)).toEqual(new Set([nonce]));
  // A second load gets another nonce.
  const again = (await page.reload())!.headers()["content-security-policy"] ?? "";
  expect(/'nonce-([^']+)'/.exec(again)?.[1]).not.toBe(nonce);

  // Hydrated: a client-side dialog (Radix) opens, which needs the page's scripts to run.
  const inst = await createInstance(db, { status: "running" });
  await signInAs(page, "operator");
  await page.goto(`/instances/${inst.id}`);
  await page.getByRole("button", { name: "Pause" }).click();
  await expect(page.getByRole("dialog", { name: "Pause this instance" })).toBeVisible();
  await page.keyboard.press("Escape");
  // Charts (inline styles) and the history page with its live updates.
  await page.goto("/insights");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await page.goto("/history");
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();

  // Pages that were prerendered before every page rendered per request: their scripts need
  // this response's nonce too (a prerendered page would have none, and the CSP blocks them).
  await page.goto("/admin/users");
  await expect(page.getByRole("heading", { name: "Your role does not open this page" })).toBeVisible();
  const notFound = await page.goto("/no-such-page");
  expect(notFound!.status()).toBe(404);
  const nonce404 = /'nonce-([^']+)'/.exec(notFound!.headers()["content-security-policy"] ?? "")?.[1];
  const nonces404 = await page.locator("script").evaluateAll((scripts) => scripts.map((s) => (s as HTMLScriptElement).nonce));
  expect(new Set(nonces404)).toEqual(new Set([nonce404]));

  // API answers are not sniffed either.
  const api = await page.request.get("/api/v1/instances?limit=1");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");

  expect(violations).toEqual([]);
  expect(consoleViolations).toEqual([]);
});
