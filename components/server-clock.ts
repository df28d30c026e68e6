/*
 * The server's clock, as seen from the browser. Times on the page come from the server (when a
 * step started, when an instance was paused); a browser whose clock runs behind would show them
 * as "in 8 sec." (issue 12 §1.5). The offset is measured when a page is served (Providers) and
 * again whenever the live stream connects (LiveUpdates), and relative times count from
 * serverNow() instead of Date.now().
 */

let offsetMs = 0;

/**
 * Records the server's time `serverMs` (ms since epoch) as of now. The request's transfer time
 * makes the estimate slightly behind the server, never ahead, so a past event can only look a
 * little older, not in the future.
 */
export function syncServerClock(serverMs: number): void {
  if (Number.isFinite(serverMs)) offsetMs = serverMs - Date.now();
}

/** Now by the server's clock, in ms since epoch. */
export function serverNow(): number {
  return Date.now() + offsetMs;
}
