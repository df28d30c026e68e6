import "server-only";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "@/db/client";
import { apiTokens, users } from "@/db/schema";
import { authorizeTokensOf, type SessionUser } from "@/lib/auth/permissions";
import { mintApiToken } from "@/lib/auth/sessions";
import { isUuid } from "@/lib/domain";
import { conflictSince, notFound } from "@/lib/errors";
import { optionalText, requiredText } from "@/lib/text";
import { parseInput, type Untrusted } from "@/lib/validate";
import { recordAccessChange } from "./access-log";

/*
 * The lifecycle of an API token: issued (shown once) with an expiry, listed, revoked. A user
 * manages their own tokens; an admin anyone's (authorizeTokensOf). Issuing and revoking each
 * write their access-log row in the same transaction. Deactivating a user stops their tokens
 * too (lib/auth/sessions.ts checks the user), without revoking them.
 */

/** Lifetimes offered, in days; "never" is allowed but not the default (GitHub's and GitLab's choice too). */
export const TOKEN_LIFETIMES = ["7", "30", "90", "365", "never"] as const;
export const DEFAULT_TOKEN_LIFETIME = "90";
const DAY_MS = 86_400_000;

export const issueTokenSchema = z.object({
  userId: z.string(),
  name: requiredText({ label: "Token name", max: 100, required: "Name the token" }),
  // JSON callers may send a number of days; forms send the option's text.
  expiresInDays: z
    .union([z.enum(TOKEN_LIFETIMES), z.number().int().min(1).max(365).transform(String)], { error: "Choose 7, 30, 90 or 365 days, or never" })
    .default(DEFAULT_TOKEN_LIFETIME),
});

export const revokeTokenSchema = z.object({ tokenId: z.string(), reason: optionalText({ label: "Reason", max: 500, multiline: true }) });

export const tokenStatuses = ["active", "expired", "revoked"] as const;
export type TokenStatus = (typeof tokenStatuses)[number];

/** A token's row as shown to people and the API: never its hash. */
export type TokenView = {
  id: string;
  userId: string;
  name: string;
  hint: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  status: TokenStatus;
};

const viewColumns = {
  id: apiTokens.id,
  userId: apiTokens.userId,
  name: apiTokens.name,
  hint: apiTokens.hint,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  expiresAt: apiTokens.expiresAt,
  revokedAt: apiTokens.revokedAt,
};

/** Status at `now`: revoked beats expired, since revoking is a person's act. */
export function tokenStatus(row: { revokedAt: Date | null; expiresAt: Date | null }, now = new Date()): TokenStatus {
  if (row.revokedAt) return "revoked";
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

/**
 * Every token of `userId`, newest first, as TokenView. Errors: 404 for an unknown or malformed
 * user id; 403 unless `by` is that user or may manage users.
 */
export async function listTokens(db: DbOrTx, userId: string, by: SessionUser): Promise<TokenView[]> {
  authorizeTokensOf(by, userId);
  if (!isUuid(userId)) throw notFound("User");
  const [owner] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId));
  if (!owner) throw notFound("User");
  const rows = await db.select(viewColumns).from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  const now = new Date();
  return rows.map((r) => ({ ...r, status: tokenStatus(r, now) }));
}

/**
 * Issues a token for `raw.userId` named `raw.name`, valid `raw.expiresInDays` (7, 30, 90, 365 or
 * "never"; default 90). Returns `{ token, view }`: the token, shown this once, and its row.
 * Errors: 400 with field messages; 404 unknown user; 403 as listTokens; 409 when the user is
 * deactivated (a token they could not use would only wait for reactivation).
 */
export async function issueToken(db: Db, raw: Untrusted, by: SessionUser): Promise<{ token: string; view: TokenView }> {
  const input = parseInput(issueTokenSchema, raw);
  authorizeTokensOf(by, input.userId);
  if (!isUuid(input.userId)) throw notFound("User");
  return db.transaction(async (tx) => {
    // FOR SHARE: a deactivation committing meanwhile waits for this, or this sees it.
    const [user] = await tx.select({ id: users.id, email: users.email, deactivatedAt: users.deactivatedAt }).from(users).where(eq(users.id, input.userId)).for("share");
    if (!user) throw notFound("User");
    if (user.deactivatedAt) throw conflictSince(`${user.email} is deactivated`, user.deactivatedAt);
    const expiresAt = input.expiresInDays === "never" ? null : new Date(Date.now() + Number(input.expiresInDays) * DAY_MS);
    const { token, id } = await mintApiToken(tx, user.id, input.name, expiresAt);
    await recordAccessChange(tx, by, { subject: user, action: "token_issued", details: { token: input.name, tokenId: id, expiresAt: expiresAt?.toISOString() ?? null } });
    const [row] = await tx.select(viewColumns).from(apiTokens).where(eq(apiTokens.id, id));
    return { token, view: { ...row!, status: tokenStatus(row!) } };
  });
}

/**
 * Revokes token `raw.tokenId` at once, with an optional `raw.reason` (up to 500 characters):
 * the next request with it gets 401. Returns the revoked TokenView. Errors: 404 unknown token
 * (also when `by` may not see it, so ids cannot be probed); 409 already revoked, saying when.
 */
export async function revokeToken(db: Db, raw: Untrusted, by: SessionUser): Promise<TokenView> {
  const input = parseInput(revokeTokenSchema, raw);
  if (!isUuid(input.tokenId)) throw notFound("API token");
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ ...viewColumns, email: users.email })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.id, input.tokenId))
      .for("update", { of: apiTokens });
    if (!row || !mayManage(by, row.userId)) throw notFound("API token");
    if (row.revokedAt) throw conflictSince(`The token “${row.name}” was already revoked`, row.revokedAt);
    const [revoked] = await tx
      .update(apiTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiTokens.id, row.id), isNull(apiTokens.revokedAt)))
      .returning(viewColumns);
    await recordAccessChange(tx, by, { subject: { id: row.userId, email: row.email }, action: "token_revoked", details: { token: row.name, tokenId: row.id, ...(input.reason ? { reason: input.reason } : {}) } });
    return { ...revoked!, status: tokenStatus(revoked!) };
  });
}

function mayManage(by: SessionUser, ownerId: string): boolean {
  try {
    authorizeTokensOf(by, ownerId);
    return true;
  } catch {
    return false;
  }
}
