import { NextRequest } from "next/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { proxy } from "@/proxy";

afterEach(() => {
  vi.unstubAllEnvs();
});

function call(url: string, headers: Record<string, string> = {}) {
  return proxy(new NextRequest(url, { headers }));
}

/** `script-src 'self' 'nonce-abc'` → { "script-src": ["'self'", "'nonce-abc'"] }. */
function directives(csp: string | null): Record<string, string[]> {
  expect(csp, "Content-Security-Policy header").toBeTruthy();
  return Object.fromEntries(
    csp!
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

const nonceOf = (csp: string | null) => directives(csp)["script-src"]!.find((v) => v.startsWith("'nonce-"))?.slice(7, -1);

describe("proxy: security headers on every response", () => {
  it("a page in production: a nonce CSP without unsafe-eval or inline scripts, no framing, nosniff, a referrer policy", () => {
    vi.stubEnv("NODE_ENV", "production");
    const res = call("http://flowgate.test/instances");
    const csp = directives(res.headers.get("content-security-policy"));
    const nonce = nonceOf(res.headers.get("content-security-policy"));
    expect(nonce).toMatch(/^[A-Za-z0-9+/_-]{22,}={0,2}$/);
    expect(csp["default-src"]).toEqual(["'self'"]);
    expect(csp["script-src"]).toEqual(expect.arrayContaining(["'self'", `'nonce-${nonce}'`, "'strict-dynamic'"]));
    expect(csp["script-src"]).not.toContain("'unsafe-eval'");
    expect(csp["script-src"]).not.toContain("'unsafe-inline'");
    expect(csp["object-src"]).toEqual(["'none'"]);
    expect(csp["base-uri"]).toEqual(["'self'"]);
    expect(csp["form-action"]).toEqual(["'self'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    // Plain HTTP: no HSTS (a browser ignores it there, and it would pin a host that has no TLS).
    expect(res.headers.get("strict-transport-security")).toBeNull();
    expect(csp["upgrade-insecure-requests"]).toBeUndefined();
  });

  it("hands Next the same policy on the request, so it can put the nonce on its own scripts", () => {
    vi.stubEnv("NODE_ENV", "production");
    const res = call("http://flowgate.test/sign-in");
    // NextResponse.next({ request: { headers } }) passes overridden request headers this way.
    expect(res.headers.get("x-middleware-override-headers")?.split(",")).toContain("content-security-policy");
    expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(res.headers.get("content-security-policy"));
  });

  it("a fresh nonce for every request", () => {
    vi.stubEnv("NODE_ENV", "production");
    const nonces = new Set(Array.from({ length: 20 }, () => nonceOf(call("http://flowgate.test/instances").headers.get("content-security-policy"))));
    expect(nonces.size).toBe(20);
  });

  it("HSTS only in production over HTTPS, whether TLS ends at a proxy (x-forwarded-proto) or here", () => {
    vi.stubEnv("NODE_ENV", "production");
    for (const res of [call("http://flowgate.test/instances", { "x-forwarded-proto": "https" }), call("https://flowgate.test/instances")]) {
      expect(res.headers.get("strict-transport-security")).toBe("max-age=31536000; includeSubDomains");
      expect(directives(res.headers.get("content-security-policy"))["upgrade-insecure-requests"]).toEqual([]);
    }
    expect(call("https://flowgate.test/instances", { "x-forwarded-proto": "http" }).headers.get("strict-transport-security")).toBeNull();
    vi.stubEnv("NODE_ENV", "development");
    expect(call("https://flowgate.test/instances").headers.get("strict-transport-security")).toBeNull();
  });

  it("allows eval in development only (React rebuilds server error stacks with it)", () => {
    vi.stubEnv("NODE_ENV", "development");
    expect(directives(call("http://localhost:3000/instances").headers.get("content-security-policy"))["script-src"]).toContain("'unsafe-eval'");
    vi.stubEnv("NODE_ENV", "test");
    expect(directives(call("http://localhost:3000/instances").headers.get("content-security-policy"))["script-src"]).not.toContain("'unsafe-eval'");
  });

  it("API answers get nosniff and no framing too", () => {
    vi.stubEnv("NODE_ENV", "production");
    for (const path of ["/api/v1/instances", "/api/health", "/_next/static/chunks/main.js"]) {
      const res = call(`http://flowgate.test${path}`);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(directives(res.headers.get("content-security-policy"))["frame-ancestors"], path).toEqual(["'none'"]);
    }
  });
});
