/**
 * The security headers of every response, in one place; `proxy.ts` applies them per request.
 * Pure functions of the request's facts, so a unit test can check every combination.
 *
 * Scripts run only with this request's nonce (`'strict-dynamic'` lets those scripts load the
 * app's other chunks), never inline or from `eval` (allowed in development only, where React
 * uses it to rebuild server error stacks). Styles allow inline: Radix, recharts and sonner set
 * `style` attributes and inject `<style>` elements without a nonce, and CSS cannot run code.
 * Nobody may frame the app (`frame-ancestors 'none'`, and `X-Frame-Options` for old browsers).
 */

/** What the headers depend on, read by the proxy from the request and the environment. */
export type HeaderContext = {
  /** This request's nonce (base64, from `newNonce`); Next puts it on its own script tags. */
  nonce: string;
  /** `NODE_ENV === "development"`: allow `eval`. */
  development: boolean;
  /** A production server reached over HTTPS: add HSTS and upgrade-insecure-requests. */
  httpsInProduction: boolean;
};

/** HSTS for a year, subdomains included; sent only over HTTPS in production (see `isHttps`). */
export const HSTS = "max-age=31536000; includeSubDomains";

/** 16 random bytes, base64: a fresh, unguessable nonce for one response. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/** The `Content-Security-Policy` value, one line, directives separated by `; `. */
export function contentSecurityPolicy({ nonce, development, httpsInProduction }: HeaderContext): string {
  const directives: string[] = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ];
  // Over plain HTTP this would rewrite the app's own asset URLs to an https:// that is not there.
  if (httpsInProduction) directives.push("upgrade-insecure-requests");
  return directives.join("; ");
}

/** Every security header of a response, name → value (CSP included). */
export function securityHeaders(context: HeaderContext): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(context),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    ...(context.httpsInProduction ? { "Strict-Transport-Security": HSTS } : {}),
  };
}

/**
 * Whether the client reached us over HTTPS: the first `X-Forwarded-Proto` (set by the proxy that
 * ends TLS) when present, else the request URL's scheme. A client can fake the header, but all it
 * gains is an HSTS header that browsers ignore over plain HTTP.
 */
export function isHttps(url: string, forwardedProto: string | null): boolean {
  const proto = forwardedProto?.split(",", 1)[0]!.trim().toLowerCase();
  return proto ? proto === "https" : new URL(url).protocol === "https:";
}
