import { NextResponse, type NextRequest } from "next/server";
import { SESSION_COOKIE } from "@/lib/auth/sessions";
import { needsSignIn, PATH_HEADER, signInHref } from "@/lib/return-to";
import { isHttps, newNonce, securityHeaders } from "@/lib/security-headers";

/**
 * Runs before every request (Next.js 16's successor to middleware): puts the security headers of
 * `lib/security-headers.ts` on the response, with a fresh CSP nonce. The policy also goes on the
 * request, where Next reads the nonce during rendering and adds it to its framework and page
 * scripts; that is why every page renders per request (`connection()` in the root layout).
 * NODE_ENV is read per call, not at import, so tests can switch it.
 *
 * It also sends a visit to a dashboard page without a session cookie straight to sign-in with the
 * page as `next`, so a deep link (`/history?action=paused`) survives signing in; the pages' own
 * check (requirePage) still decides, and covers a cookie that is present but no longer valid,
 * with the path the proxy passes on in PATH_HEADER.
 */
export function proxy(request: NextRequest): NextResponse {
  const headers = securityHeaders({
    nonce: newNonce(),
    development: process.env.NODE_ENV === "development",
    httpsInProduction: process.env.NODE_ENV === "production" && isHttps(request.url, request.headers.get("x-forwarded-proto")),
  });
  if ((request.method === "GET" || request.method === "HEAD") && !request.cookies.has(SESSION_COOKIE) && needsSignIn(request.nextUrl.pathname)) {
    const response = NextResponse.redirect(new URL(signInHref(`${request.nextUrl.pathname}${request.nextUrl.search}`), request.url));
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  }
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", headers["Content-Security-Policy"]!);
  // For a session cookie that turns out to be invalid (expired, revoked, user deactivated): the
  // page's requirePage then sends the visit to sign-in and back here, as above.
  requestHeaders.set(PATH_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

// No `config.matcher`: the proxy runs on every path, static assets and API answers included,
// since nosniff and no-framing matter there too; the work is one random nonce and a few strings.
