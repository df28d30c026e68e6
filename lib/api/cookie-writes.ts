import { AppError } from "@/lib/errors";

/**
 * The rule for writes that ride on the session cookie (a bearer token is never sent by a
 * browser on its own, so token-authenticated calls are exempt). A cookie goes along with
 * requests from any site that is same-site with us (another port of the same host is), so:
 * - the body must be exactly `application/json` (parameters such as `charset` allowed): a plain
 *   form or a `no-cors` fetch can only send the three "simple" media types, and a substring test
 *   let `text/plain; x=application/json` through;
 * - `Sec-Fetch-Site`, when the browser sends it, must be `same-origin` (or `none`: typed by the
 *   user), and `Origin`, when sent, must be this app's own origin (the request's, or one listed in
 *   FLOWGATE_TRUSTED_ORIGINS, comma-separated, for a proxy that rewrites the host).
 * Throws AppError 415 `unsupported_media_type` or 403 `cross_origin`; returns nothing when the
 * request may proceed. Source: OWASP CSRF Prevention Cheat Sheet (Fetch Metadata, Origin check).
 */
export function checkCookieWrite(request: Request): void {
  if (request.method === "GET" || request.method === "HEAD" || request.headers.get("authorization")) return;
  const site = request.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") {
    throw new AppError("cross_origin", `A write with the session cookie must come from Flowgate's own pages (Sec-Fetch-Site: ${site.slice(0, 40)})`);
  }
  const origin = request.headers.get("origin");
  if (origin !== null && !trustedOrigins(request).has(origin)) {
    throw new AppError("cross_origin", "A write with the session cookie must come from Flowgate's own origin");
  }
  if (mediaType(request.headers.get("content-type")) !== "application/json") {
    throw new AppError("unsupported_media_type", "Send the body as application/json");
  }
}

/** `Content-Type` without its parameters, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(header: string | null): string {
  return (header ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

function trustedOrigins(request: Request): Set<string> {
  const origins = new Set([new URL(request.url).origin]);
  for (const o of (process.env.FLOWGATE_TRUSTED_ORIGINS ?? "").split(",")) if (o.trim()) origins.add(o.trim().replace(/\/$/, ""));
  return origins;
}
