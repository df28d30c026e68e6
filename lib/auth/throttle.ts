import { and, count, eq, gt, lte, min, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db/client";
import { signInFailures } from "@/db/schema";

/*
 * Slows password guessing: after MAX_FAILURES wrong passwords for one email within WINDOW_MS,
 * further attempts are refused until the window passes. The attempts are rows in the database,
 * so every dashboard process sees the same count and a restart does not wipe it. Sign-in goes
 * through `claimAttempt`, which counts and records under a per-email lock, so the limit holds
 * however many attempts arrive at once.
 */

/** Wrong passwords one email may have within WINDOW_MS before further attempts are refused. */
export const MAX_FAILURES = 5;
/** The sliding window the failures are counted over, in milliseconds. */
export const WINDOW_MS = 15 * 60_000;

const since = (now: Date) => new Date(now.getTime() - WINDOW_MS);

/**
 * Takes one of this email's MAX_FAILURES attempts in the window, before its password is checked.
 * In one transaction, under a transaction-scoped advisory lock keyed on the normalised email
 * (there may be no user row to lock: unknown emails are throttled the same way), it counts the
 * failures in the window and, if the email is not locked, records this attempt as a failure at
 * once. Counting and recording under one lock is what makes the limit hold under concurrency:
 * a count taken outside it let 25 simultaneous attempts all see "0 failures" and all be checked.
 * The attempt stays a failure unless the password proves right (`clearFailures`); a crash while
 * checking therefore costs an attempt rather than giving one away. The lock is held only for
 * these two statements, not during the ~100 ms of scrypt, so a flood of guesses at one email
 * does not park the connection pool behind it.
 * Returns `{ allowed: true }`, or `{ allowed: false, waitMs }` with the milliseconds until the
 * email may try again (then nothing is recorded).
 */
export async function claimAttempt(db: Db, email: string, now = new Date()): Promise<{ allowed: true } | { allowed: false; waitMs: number }> {
  const address = email.toLowerCase();
  return db.transaction(async (tx) => {
    // 64-bit key from a namespaced string; another email hashing to the same key only shares the queue.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`flowgate:sign-in:${address}`}, 0))`);
    const waitMs = await lockedFor(tx, address, now);
    if (waitMs > 0) return { allowed: false, waitMs };
    await recordFailure(tx, address, now);
    return { allowed: true };
  });
}

/** Milliseconds until this email may try again, or 0. Read-only; sign-in uses `claimAttempt`. */
export async function lockedFor(db: DbOrTx, email: string, now = new Date()): Promise<number> {
  const [row] = await db
    .select({ failures: count(), first: min(signInFailures.at) })
    .from(signInFailures)
    .where(and(eq(signInFailures.email, email.toLowerCase()), gt(signInFailures.at, since(now))));
  if (!row || row.failures < MAX_FAILURES || !row.first) return 0;
  return Math.max(0, WINDOW_MS - (now.getTime() - new Date(row.first).getTime()));
}

/** Records a wrong password, and forgets this email's attempts that are past the window. */
export async function recordFailure(db: DbOrTx, email: string, now = new Date()): Promise<void> {
  const address = email.toLowerCase();
  await db.insert(signInFailures).values({ email: address, at: now });
  await db.delete(signInFailures).where(and(eq(signInFailures.email, address), lte(signInFailures.at, since(now))));
}

/** Forgets every recorded failure of this email (after a right password). */
export async function clearFailures(db: DbOrTx, email: string): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.email, email.toLowerCase()));
}
