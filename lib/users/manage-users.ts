import "server-only";
import { and, asc, count, eq, gt, isNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import { requiredText } from "@/lib/text";
import type { Db } from "@/db/client";
import { apiTokens, roles, sessions, users, type Role } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";
import { can, type SessionUser } from "@/lib/auth/permissions";
import { conflict, conflictSince, invalid, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/domain";
import { parseInput, type Untrusted } from "@/lib/validate";
import { recordAccessChange } from "./access-log";

export const newUserSchema = z.object({
  email: requiredText({ label: "Email", max: 200, required: "Enter a valid email address" }).pipe(z.string().toLowerCase().email("Enter a valid email address")),
  name: requiredText({ label: "Name", max: 100, required: "Enter a name" }),
  role: z.enum(roles, { error: `Choose one of: ${roles.join(", ")}` }),
  password: z.string().min(12, "Use at least 12 characters").max(200),
});

const userView = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  groups: users.groups,
  createdAt: users.createdAt,
  deactivatedAt: users.deactivatedAt,
  deactivationReason: users.deactivationReason,
};

/** Every user by email, with `activeTokens`: their tokens neither revoked nor expired. */
export async function listUsers(db: Db) {
  const rows = await db.select(userView).from(users).orderBy(asc(users.email));
  const tokens = await db
    .select({ userId: apiTokens.userId, n: count() })
    .from(apiTokens)
    .where(and(isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, sql`now()`))))
    .groupBy(apiTokens.userId);
  return rows.map((u) => ({ ...u, activeTokens: tokens.find((t) => t.userId === u.id)?.n ?? 0 }));
}

/** One user as listUsers shows them; 404 for an unknown or malformed id. */
export async function getUser(db: Db, userId: string) {
  if (!isUuid(userId)) throw notFound("User");
  const [row] = await db.select(userView).from(users).where(eq(users.id, userId));
  if (!row) throw notFound("User");
  return row;
}

export const deactivateUserSchema = z.object({ userId: z.string(), reason: requiredText({ label: "Reason", max: 500, multiline: true, required: "Say why the account is deactivated" }) });
export const reactivateUserSchema = z.object({ userId: z.string() });

/**
 * Deactivates `raw.userId`, saying why (`raw.reason`, required, up to 500 characters): at once
 * their sessions end, and neither sign-in nor their API tokens work until an admin reactivates
 * them (the tokens are kept, so a reactivated service account works again). Nothing they did is
 * touched: their history stays theirs. Errors: 400 without a reason; 404 unknown user; 409 for
 * yourself (an installation could lose its last admin) or when already deactivated, saying since when.
 */
export async function deactivateUser(db: Db, raw: Untrusted, by: SessionUser) {
  const input = parseInput(deactivateUserSchema, raw);
  if (!isUuid(input.userId)) throw notFound("User");
  if (input.userId === by.id) throw conflict("You cannot deactivate your own account; ask another admin");
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ email: users.email, deactivatedAt: users.deactivatedAt }).from(users).where(eq(users.id, input.userId)).for("update");
    if (!before) throw notFound("User");
    if (before.deactivatedAt) throw conflictSince(`${before.email} is already deactivated`, before.deactivatedAt);
    const [row] = await tx.update(users).set({ deactivatedAt: new Date(), deactivationReason: input.reason }).where(eq(users.id, input.userId)).returning(userView);
    await tx.delete(sessions).where(eq(sessions.userId, input.userId));
    await recordAccessChange(tx, by, { subject: row!, action: "user_deactivated", details: { reason: input.reason } });
    return row!;
  });
}

/** Lets a deactivated user sign in and use their unexpired, unrevoked tokens again. Errors: 404; 409 when not deactivated. */
export async function reactivateUser(db: Db, raw: Untrusted, by: SessionUser) {
  const input = parseInput(reactivateUserSchema, raw);
  if (!isUuid(input.userId)) throw notFound("User");
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ email: users.email, deactivatedAt: users.deactivatedAt, reason: users.deactivationReason }).from(users).where(eq(users.id, input.userId)).for("update");
    if (!before) throw notFound("User");
    if (!before.deactivatedAt) throw conflict(`${before.email} is active`);
    const [row] = await tx.update(users).set({ deactivatedAt: null, deactivationReason: null }).where(eq(users.id, input.userId)).returning(userView);
    await recordAccessChange(tx, by, { subject: row!, action: "user_reactivated", details: { deactivatedAt: before.deactivatedAt.toISOString(), reason: before.reason } });
    return row!;
  });
}

export async function createUser(db: Db, raw: Untrusted, by: SessionUser) {
  const input = parseInput(newUserSchema, raw);
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      .values({ email: input.email, name: input.name, role: input.role, passwordHash })
      .onConflictDoNothing({ target: users.email })
      .returning({ id: users.id, email: users.email });
    if (!row) throw invalid("Someone already has this email", { email: ["Someone already has this email"] });
    await recordAccessChange(tx, by, { subject: row, action: "user_created", details: { role: input.role } });
    return row;
  });
}

/**
 * Changes a role and ends the user's sessions, so the new role applies at once. An admin
 * cannot demote themselves: that is how an installation loses its last admin.
 */
export async function changeRole(db: Db, raw: Untrusted, by: SessionUser) {
  const input = parseInput(z.object({ userId: z.string(), role: z.enum(roles) }), raw);
  if (!isUuid(input.userId)) throw notFound("User");
  // Whoever manages users must keep that permission: otherwise nobody may be left to grant it back.
  if (input.userId === by.id && !can({ ...by, role: input.role }, "users:manage")) throw conflict("You cannot remove your own admin role; ask another admin");
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ role: users.role }).from(users).where(eq(users.id, input.userId)).for("update");
    if (!before) throw notFound("User");
    const [row] = await tx.update(users).set({ role: input.role as Role }).where(eq(users.id, input.userId)).returning({ id: users.id, email: users.email, role: users.role });
    await tx.delete(sessions).where(eq(sessions.userId, row!.id));
    if (before.role !== row!.role) await recordAccessChange(tx, by, { subject: row!, action: "role_changed", details: { from: before.role, to: row!.role } });
    return row!;
  });
}

const groupName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/, "Group names are lowercase letters, digits and dashes");

/** Sets the groups a gate may name; given as a comma-separated list. */
export async function setGroups(db: Db, raw: Untrusted, by: SessionUser) {
  const input = parseInput(
    z.object({
      userId: z.string(),
      groups: z.preprocess((v) => (typeof v === "string" ? [...new Set(v.split(",").map((g) => g.trim().toLowerCase()).filter(Boolean))] : v), z.array(groupName).max(20, "At most 20 groups")),
    }),
    raw,
  );
  if (!isUuid(input.userId)) throw notFound("User");
  return db.transaction(async (tx) => {
    const [before] = await tx.select({ groups: users.groups }).from(users).where(eq(users.id, input.userId)).for("update");
    if (!before) throw notFound("User");
    const [row] = await tx.update(users).set({ groups: input.groups }).where(eq(users.id, input.userId)).returning({ id: users.id, email: users.email, groups: users.groups });
    if (before.groups.join(",") !== row!.groups.join(",")) await recordAccessChange(tx, by, { subject: row!, action: "groups_changed", details: { from: before.groups, to: row!.groups } });
    return row!;
  });
}
