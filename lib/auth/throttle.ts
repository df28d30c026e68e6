import { and, count, eq, gt, lte, min } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { signInFailures } from "@/db/schema";

/**
 * Slows password guessing: after MAX_FAILURES wrong passwords for one email within WINDOW_MS,
 * further attempts are refused until the window passes. The attempts are rows in the database,
 * so every dashboard process sees the same count and a restart does not wipe it.
 */
export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60_000;

const since = (now: Date) => new Date(now.getTime() - WINDOW_MS);

/** Milliseconds until this email may try again, or 0. */
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

export async function clearFailures(db: DbOrTx, email: string): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.email, email.toLowerCase()));
}
