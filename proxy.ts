import { NextResponse, type NextRequest } from "next/server";
import { isHttps, newNonce, securityHeaders } from "@/lib/security-headers";

/**
 * Runs before every request (Next.js 16's successor to middleware): puts the security headers of
 * `lib/security-headers.ts` on the response, with a fresh CSP nonce. The policy also goes on the
 * request, where Next reads the nonce during rendering and adds it to its framework and page
 * scripts; that is why every page renders per request (`connection()` in the root layout).
 * NODE_ENV is read per call, not at import, so tests can switch it.
 */
export function proxy(request: NextRequest): NextResponse {
  const headers = securityHeaders({
    nonce: newNonce(),
    development: process.env.NODE_ENV === "development",
    httpsInProduction: process.env.NODE_ENV === "production" && isHttps(request.url, request.headers.get("x-forwarded-proto")),
  });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", headers["Content-Security-Policy"]!);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

// No `config.matcher`: the proxy runs on every path, static assets and API answers included,
// since nosniff and no-framing matter there too; the work is one random nonce and a few strings.
