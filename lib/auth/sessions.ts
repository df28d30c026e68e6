import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
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
  // Said only to whoever knows the password, so it reveals nothing to a guesser.
  if (user.deactivatedAt) throw invalid("This account is deactivated; ask an admin to reactivate it", { email: ["This account is deactivated"] });
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
    .where(and(eq(sessions.tokenHash, sha256(token)), gt(sessions.expiresAt, new Date()), isNull(users.deactivatedAt)));
  return row ?? null;
}

/** How stale `api_tokens.last_used_at` may get before a request refreshes it, in seconds. */
export const LAST_USED_PRECISION_S = 60;

/**
 * The user an API bearer token authenticates, or null: a token that is unknown, revoked, past
 * its expiry, or whose user is deactivated authenticates nobody. One statement, so a request
 * pays one round trip for its caller; it also refreshes the token's `last_used_at` when that is
 * older than LAST_USED_PRECISION_S, so most calls write nothing (issue 15: the old UPDATE on
 * every call committed a WAL flush per request). Built once per pool and named (prepared by
 * postgres.js once per connection): every API call runs it.
 */
export async function userForApiToken(db: Db, token: string): Promise<SessionUser | null> {
  let query = apiTokenQueries.get(db);
  if (!query) apiTokenQueries.set(db, (query = buildUserForApiToken(db)));
  const [user] = await query.execute({ tokenHash: sha256(token) });
  return user ?? null;
}

const apiTokenQueries = new WeakMap<Db, ReturnType<typeof buildUserForApiToken>>();

function buildUserForApiToken(db: Db) {
  const valid = db
    .$with("valid")
    .as(
      db
        .select({ tokenId: apiTokens.id, userId: apiTokens.userId })
        .from(apiTokens)
        .where(and(eq(apiTokens.tokenHash, sql.placeholder("tokenHash")), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`)))),
    );
  // A data-modifying WITH runs whether or not the main query reads it (PostgreSQL docs, 7.8.4).
  const touch = db.$with("touch").as(
    db
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(
        and(
          inArray(apiTokens.id, db.select({ id: valid.tokenId }).from(valid)),
          or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`now() - make_interval(secs => ${sql.raw(String(LAST_USED_PRECISION_S))})`)),
        ),
      )
      .returning({ id: apiTokens.id }),
  );
  return db
    .with(valid, touch)
    .select(userColumns)
    .from(valid)
    .innerJoin(users, eq(users.id, valid.userId))
    .where(isNull(users.deactivatedAt))
    .prepare("user_for_api_token");
}

/** Characters of a token kept as its `hint`: "fgt_" and 6 more, about 36 bits, useless for guessing the other 250. */
const HINT_LENGTH = 10;

/**
 * Issues a bearer token for the API: `{ token, id }`, the token to hand over (only its SHA-256
 * and its first HINT_LENGTH characters are stored, so it is shown once) and its row's id.
 * `expiresAt` null: it never expires. Records nothing in the access log: callers that act for a
 * person go through lib/users/tokens.ts, which does.
 */
export async function mintApiToken(db: DbOrTx, userId: string, name: string, expiresAt: Date | null = null): Promise<{ token: string; id: string }> {
  const token = `fgt_${newToken()}`;
  const [row] = await db.insert(apiTokens).values({ userId, name, tokenHash: sha256(token), hint: token.slice(0, HINT_LENGTH), expiresAt }).returning({ id: apiTokens.id });
  return { token, id: row!.id };
}

/** mintApiToken's token alone: for seeds and tests that need a caller. */
export async function createApiToken(db: DbOrTx, userId: string, name: string, expiresAt: Date | null = null): Promise<string> {
  return (await mintApiToken(db, userId, name, expiresAt)).token;
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
