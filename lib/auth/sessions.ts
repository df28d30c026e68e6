import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db/client";
import { apiTokens, sessions, users } from "@/db/schema";
import { env } from "@/lib/env";
import { invalid } from "@/lib/errors";
import { UNKNOWN_USER_HASH, verifyPassword } from "./password";
import { claimAttempt, clearFailures } from "./throttle";
import type { SessionUser } from "./permissions";

export const SESSION_COOKIE = "fg_session";
const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");
const newToken = () => randomBytes(32).toString("base64url");
const userColumns = { id: users.id, email: users.email, name: users.name, role: users.role, groups: users.groups };

/**
 * Checks the password and opens a session: `{ token, expiresAt, user }`, the token to put in the
 * cookie (only its SHA-256 is stored). Throws AppError `invalid` with the same message for an
 * unknown email and a wrong password, and `invalid` "Too many wrong passwords…" once the email
 * has used its attempts in the window (see `claimAttempt`: the attempt is counted before the
 * password is checked, so concurrency cannot stretch the limit). An unknown email costs the
 * same scrypt as a real one (`UNKNOWN_USER_HASH`), so neither the answer nor its time tells
 * whether the account exists.
 */
export async function signIn(db: Db, email: string, password: string): Promise<{ token: string; expiresAt: Date; user: SessionUser }> {
  const address = email.trim().toLowerCase();
  const attempt = await claimAttempt(db, address);
  if (!attempt.allowed) {
    const minutes = Math.ceil(attempt.waitMs / 60_000);
    throw invalid(`Too many wrong passwords; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`, { password: ["Too many wrong passwords"] });
  }
  const [user] = await db.select().from(users).where(eq(users.email, address));
  const matches = await verifyPassword(password, user?.passwordHash ?? UNKNOWN_USER_HASH);
  if (!user || !matches) {
    // Already counted by claimAttempt.
    throw invalid("Email or password is wrong", { password: ["Email or password is wrong"] });
  }
  await clearFailures(db, address);
  const token = newToken();
  const expiresAt = new Date(Date.now() + env().SESSION_TTL_HOURS * 3600_000);
  await db.insert(sessions).values({ tokenHash: sha256(token), userId: user.id, expiresAt });
  return { token, expiresAt, user: { id: user.id, email: user.email, name: user.name, role: user.role, groups: user.groups } };
}

export async function signOut(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, sha256(token)));
}

export async function userForSession(db: Db, token: string | undefined): Promise<SessionUser | null> {
  if (!token) return null;
  const [row] = await db
    .select(userColumns)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, sha256(token)), gt(sessions.expiresAt, new Date())));
  return row ?? null;
}

export async function userForApiToken(db: Db, token: string): Promise<SessionUser | null> {
  const [row] = await db
    .update(apiTokens)
    .set({ lastUsedAt: new Date() })
    .where(eq(apiTokens.tokenHash, sha256(token)))
    .returning({ userId: apiTokens.userId });
  if (!row) return null;
  const [user] = await db.select(userColumns).from(users).where(eq(users.id, row.userId));
  return user ?? null;
}

/** Issues a bearer token for the API; only its hash is stored, so it is shown once. */
export async function createApiToken(db: DbOrTx, userId: string, name: string): Promise<string> {
  const token = `fgt_${newToken()}`;
  await db.insert(apiTokens).values({ userId, name, tokenHash: sha256(token) });
  return token;
}

/** Resolves the caller of an API request: a bearer token first, else the session cookie. */
export async function userForRequest(db: Db, request: Request): Promise<SessionUser | null> {
  const auth = request.headers.get("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) return userForApiToken(db, auth.slice(7).trim());
  return userForSession(db, readCookie(request.headers.get("cookie"), SESSION_COOKIE));
}

function readCookie(header: string | null, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return undefined;
}
