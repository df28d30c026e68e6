/**
 * Slows password guessing: after MAX_FAILURES wrong passwords for one email within WINDOW_MS,
 * further attempts are refused until the window passes. Kept in this process's memory: with
 * several dashboard processes each counts on its own, which still bounds guessing per process.
 */
export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;

const failures = new Map<string, number[]>();

const recent = (key: string, now: number) => (failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);

/** Milliseconds until this email may try again, or 0. */
export function lockedFor(email: string, now = Date.now()): number {
  const times = recent(email.toLowerCase(), now);
  return times.length >= MAX_FAILURES ? WINDOW_MS - (now - times[0]!) : 0;
}

export function recordFailure(email: string, now = Date.now()): void {
  const key = email.toLowerCase();
  failures.set(key, [...recent(key, now), now]);
}

export function clearFailures(email: string): void {
  failures.delete(email.toLowerCase());
}
