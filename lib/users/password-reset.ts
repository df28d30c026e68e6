import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/db/client";
import { passwordResets, sessions, users } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";
import type { SessionUser } from "@/lib/auth/permissions";
import { clearFailures } from "@/lib/auth/throttle";
import { isUuid } from "@/lib/domain";
import { conflictSince, invalid, notFound } from "@/lib/errors";
import { parseInput, type Untrusted } from "@/lib/validate";
import { recordAccessChange } from "./access-log";
import { newUserSchema } from "./manage-users";

/*
 * Password reset without mail (there is none yet): an admin issues a one-time link and hands it
 * over; whoever opens it sets a new password. Only the link token's SHA-256 is stored. A link
 * works once, for RESET_LINK_MINUTES; a newer link replaces older ones. Both acts are in the
 * access log, in the transaction that does them.
 */

/** How long a reset link works, in minutes. */
export const RESET_LINK_MINUTES = 60;
/** The path of the page a reset link opens; the token follows as `?token=`. */
export const RESET_PATH = "/reset-password";

const sha256 = (token: string) => createHash("sha256").update(token).digest("hex");
const NOT_VALID = "This reset link is not valid, was used already or has expired; ask an admin for a new one";

/**
 * Issues a reset link's token for `raw.userId`: `{ token, expiresAt, email }`, shown once (give
 * it as `${RESET_PATH}?token=…`). Older unused links of the user stop working. Errors: 404
 * unknown user; 409 deactivated user (reactivate first).
 */
export async function issuePasswordReset(db: Db, raw: Untrusted, by: SessionUser): Promise<{ token: string; expiresAt: Date; email: string }> {
  const input = parseInput(z.object({ userId: z.string() }), raw);
  if (!isUuid(input.userId)) throw notFound("User");
  return db.transaction(async (tx) => {
    const [user] = await tx.select({ id: users.id, email: users.email, deactivatedAt: users.deactivatedAt }).from(users).where(eq(users.id, input.userId)).for("update");
    if (!user) throw notFound("User");
    if (user.deactivatedAt) throw conflictSince(`${user.email} is deactivated; reactivate the account first`, user.deactivatedAt);
    const token = `fgr_${randomBytes(32).toString("base64url")}`;
    const expiresAt = new Date(Date.now() + RESET_LINK_MINUTES * 60_000);
    await tx.delete(passwordResets).where(eq(passwordResets.userId, user.id));
    await tx.insert(passwordResets).values({ tokenHash: sha256(token), userId: user.id, expiresAt });
    await recordAccessChange(tx, by, { subject: user, action: "password_reset_issued", details: { expiresAt: expiresAt.toISOString() } });
    return { token, expiresAt, email: user.email };
  });
}

/** The account a reset link is for, to greet its user by email on the reset page; null when the link does not work. */
export async function resetLinkAccount(db: Db, token: string): Promise<{ email: string } | null> {
  if (!token) return null;
  const [row] = await db
    .select({ email: users.email, deactivatedAt: users.deactivatedAt })
    .from(passwordResets)
    .innerJoin(users, eq(users.id, passwordResets.userId))
    .where(and(eq(passwordResets.tokenHash, sha256(token)), gt(passwordResets.expiresAt, new Date())));
  return row && !row.deactivatedAt ? { email: row.email } : null;
}

const resetSchema = z
  .object({
    token: z.string({ error: NOT_VALID }),
    password: newUserSchema.shape.password,
    confirm: z.string({ error: "Type the new password again" }),
  })
  .refine((v) => v.password === v.confirm, { path: ["confirm"], message: "The two passwords differ" });

/**
 * Sets a new password with a reset link's token: `raw` is `{ token, password, confirm }`. Uses
 * the link up, ends every session of the user (whoever had the old password is signed out) and
 * forgets their wrong-password count. Returns the user's email. Errors: 400 with field messages
 * for a short or mismatched password, and one message for a token that is unknown, used,
 * expired or whose user is deactivated (which of these is not said).
 */
export async function resetPassword(db: Db, raw: Untrusted): Promise<{ email: string }> {
  const input = parseInput(resetSchema, raw);
  // scrypt takes ~100 ms: hashed before the transaction so no row stays locked meanwhile.
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({ userId: users.id, email: users.email, name: users.name, role: users.role, groups: users.groups, deactivatedAt: users.deactivatedAt, expiresAt: passwordResets.expiresAt })
      .from(passwordResets)
      .innerJoin(users, eq(users.id, passwordResets.userId))
      .where(eq(passwordResets.tokenHash, sha256(input.token)))
      .for("update");
    if (!row || row.deactivatedAt || row.expiresAt.getTime() <= Date.now()) throw invalid(NOT_VALID, { token: [NOT_VALID] });
    await tx.delete(passwordResets).where(eq(passwordResets.userId, row.userId));
    await tx.update(users).set({ passwordHash }).where(eq(users.id, row.userId));
    await tx.delete(sessions).where(eq(sessions.userId, row.userId));
    await clearFailures(tx, row.email);
    // The person who opened the link acted; it is recorded as them.
    const self: SessionUser = { id: row.userId, email: row.email, name: row.name, role: row.role, groups: row.groups };
    await recordAccessChange(tx, self, { subject: { id: row.userId, email: row.email }, action: "password_reset", details: {} });
    return { email: row.email };
  });
}
