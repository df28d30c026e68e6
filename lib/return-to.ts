/**
 * Where sign-in sends a person back to: the page they asked for, never another site. One rule
 * for the proxy (which records the page) and the sign-in action (which follows it).
 */

/** The dashboard's pages, all behind sign-in (app/(dashboard)/…): the proxy sends anonymous visits to sign in from these. */
const SIGNED_IN_PREFIXES = ["/instances", "/workflows", "/approvals", "/history", "/insights", "/admin", "/account"];

/** The request header the proxy puts the page's path (with its query) in, for requirePage's redirect to sign-in. */
export const PATH_HEADER = "x-flowgate-path";

const BASE = "http://flowgate.invalid";

/**
 * `value` as a same-origin path with its query (`/history?action=paused`), or null when it is
 * anything else: absolute (`https://evil.com`), protocol-relative (`//evil.com`, `/\evil.com`,
 * which browsers read as `//`), with control characters or whitespace (which browsers strip, so
 * `/\t/evil.com` is `//evil.com`), overlong, or the sign-in page itself (a loop).
 */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 2000) return null;
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\")) return null;
  if (/[\u0000-\u0020\u007f]/.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  if (url.pathname === "/sign-in" || url.pathname.startsWith("/sign-in/")) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Whether an anonymous GET of `pathname` needs sign-in first (a dashboard page). */
export function needsSignIn(pathname: string): boolean {
  return SIGNED_IN_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** The sign-in page that comes back to `path` afterwards. */
export function signInHref(path: string): string {
  const back = safeReturnPath(path);
  return back && back !== "/instances" ? `/sign-in?next=${encodeURIComponent(back)}` : "/sign-in";
}
