import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiTokens, sessions } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";
import { signIn, userForApiToken, userForSession } from "@/lib/auth/sessions";
import { AppError } from "@/lib/errors";
import { recentAccessChanges } from "@/lib/users/access-log";
import { deactivateUser, reactivateUser } from "@/lib/users/manage-users";
import { issuePasswordReset, resetLinkAccount, resetPassword } from "@/lib/users/password-reset";
import { issueToken, listTokens, revokeToken } from "@/lib/users/tokens";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";

// Issue 10 §2 "Tokens live forever": list, revoke and expire API tokens, deactivate users, reset
// passwords; each act in the access log, written in the same transaction.

const t = await freshDatabase();
const admin = await createUser(t.db, "admin", { email: "admin@life.test" });
const PASSWORD = "a long enough secret";
const person = async (email: string, role: "operator" | "auditor" = "operator") => createUser(t.db, role, { email, passwordHash: await hashPassword(PASSWORD) });
const code = (e: unknown) => (e as AppError).code;
const logOf = async (subjectId: string) => (await recentAccessChanges(t.db)).filter((e) => e.subjectId === subjectId).map((e) => [e.action, e.actorLabel]);

describe("API tokens", () => {
  it("a revoked token authenticates nobody from the next request on; revoking twice is a conflict", async () => {
    const user = await person("revoke@life.test");
    const { token, view } = await issueToken(t.db, { userId: user.id, name: "ci" }, user);
    expect(await userForApiToken(t.db, token)).toMatchObject({ id: user.id });
    const revoked = await revokeToken(t.db, { tokenId: view.id, reason: "leaked in a log" }, user);
    expect(revoked.status).toBe("revoked");
    expect(await userForApiToken(t.db, token)).toBeNull();
    expect(code(await revokeToken(t.db, { tokenId: view.id }, user).catch((e: unknown) => e))).toBe("conflict");
    const entries = (await recentAccessChanges(t.db)).filter((e) => e.subjectId === user.id && e.action === "token_revoked");
    expect(entries.map((e) => e.details)).toEqual([{ token: "ci", tokenId: view.id, reason: "leaked in a log" }]);
  });

  it("a token stops working when it expires, and says so in the list", async () => {
    const user = await person("expire@life.test");
    const { token, view } = await issueToken(t.db, { userId: user.id, name: "short", expiresInDays: 7 }, admin);
    expect(view.expiresAt!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(await userForApiToken(t.db, token)).toMatchObject({ id: user.id });
    // Time passes: the expiry is moved into the past rather than waiting a week.
    await t.db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, view.id));
    expect(await userForApiToken(t.db, token)).toBeNull();
    expect((await listTokens(t.db, user.id, user)).find((r) => r.id === view.id)?.status).toBe("expired");
  });

  it("defaults to 90 days, allows no expiry when asked, and refuses other lifetimes by field", async () => {
    const user = await person("lifetimes@life.test");
    const ninety = await issueToken(t.db, { userId: user.id, name: "default" }, user);
    expect(Math.round((ninety.view.expiresAt!.getTime() - Date.now()) / 86_400_000)).toBe(90);
    expect((await issueToken(t.db, { userId: user.id, name: "forever", expiresInDays: "never" }, user)).view.expiresAt).toBeNull();
    const bad = await issueToken(t.db, { userId: user.id, name: "odd", expiresInDays: "5000" }, user).catch((e: unknown) => e);
    expect((bad as AppError).fields?.expiresInDays).toBeDefined();
  });

  it("refreshes last_used_at at most once a minute, so authenticating is mostly a read", async () => {
    const user = await person("lastused@life.test");
    const { token, view } = await issueToken(t.db, { userId: user.id, name: "busy" }, user);
    await userForApiToken(t.db, token);
    const [first] = await t.db.select({ at: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.id, view.id));
    expect(first!.at).not.toBeNull();
    await userForApiToken(t.db, token);
    const [second] = await t.db.select({ at: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.id, view.id));
    expect(second!.at).toEqual(first!.at);
    await t.db.update(apiTokens).set({ lastUsedAt: new Date(Date.now() - 120_000) }).where(eq(apiTokens.id, view.id));
    await userForApiToken(t.db, token);
    const [third] = await t.db.select({ at: apiTokens.lastUsedAt }).from(apiTokens).where(eq(apiTokens.id, view.id));
    expect(Date.now() - third!.at!.getTime()).toBeLessThan(60_000);
  });

  it("lists tokens without their secret, and only for their owner or an admin; others' token ids read as not found", async () => {
    const owner = await person("owner@life.test");
    const other = await person("other@life.test");
    const { token, view } = await issueToken(t.db, { userId: owner.id, name: "mine" }, owner);
    const listed = await listTokens(t.db, owner.id, owner);
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(listed[0]).toMatchObject({ name: "mine", hint: token.slice(0, 10), status: "active" });
    expect(await listTokens(t.db, owner.id, admin)).toHaveLength(1);
    expect(code(await listTokens(t.db, owner.id, other).catch((e: unknown) => e))).toBe("forbidden");
    expect(code(await issueToken(t.db, { userId: owner.id, name: "sneaky" }, other).catch((e: unknown) => e))).toBe("forbidden");
    expect(code(await revokeToken(t.db, { tokenId: view.id }, other).catch((e: unknown) => e))).toBe("not_found");
    expect(await userForApiToken(t.db, token)).toMatchObject({ id: owner.id });
  });
});

describe("deactivation", () => {
  it("ends sessions, refuses sign-in and tokens until reactivated; tokens work again after", async () => {
    const user = await person("deact@life.test");
    const session = await signIn(t.db, user.email, PASSWORD);
    const { token } = await issueToken(t.db, { userId: user.id, name: "bot" }, admin);
    await deactivateUser(t.db, { userId: user.id, reason: "left the team" }, admin);
    expect(await userForSession(t.db, session.token)).toBeNull();
    expect(await t.db.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
    expect(await userForApiToken(t.db, token)).toBeNull();
    await expect(signIn(t.db, user.email, PASSWORD)).rejects.toThrow("deactivated");
    // A wrong password still gets the generic answer: deactivation is told only to who knows the password.
    await expect(signIn(t.db, user.email, "not the password at all")).rejects.toThrow("Email or password is wrong");
    expect(code(await issueToken(t.db, { userId: user.id, name: "more" }, admin).catch((e: unknown) => e))).toBe("conflict");
    expect(code(await deactivateUser(t.db, { userId: user.id, reason: "again" }, admin).catch((e: unknown) => e))).toBe("conflict");
    await reactivateUser(t.db, { userId: user.id }, admin);
    expect(await userForApiToken(t.db, token)).toMatchObject({ id: user.id });
    expect((await signIn(t.db, user.email, PASSWORD)).user.id).toBe(user.id);
    expect(await logOf(user.id)).toEqual([
      ["user_reactivated", admin.email],
      ["user_deactivated", admin.email],
      ["token_issued", admin.email],
      // createUser in the factory writes no access row: it stands for a seeded account.
    ]);
  });

  it("needs a reason, refuses yourself, and a refused deactivation changes nothing", async () => {
    const user = await person("noreason@life.test");
    const blank = await deactivateUser(t.db, { userId: user.id, reason: "\u200b " }, admin).catch((e: unknown) => e);
    expect((blank as AppError).fields?.reason).toEqual(["Say why the account is deactivated"]);
    expect(code(await deactivateUser(t.db, { userId: admin.id, reason: "oops" }, admin).catch((e: unknown) => e))).toBe("conflict");
    expect(await logOf(user.id)).toEqual([]);
    expect(code(await reactivateUser(t.db, { userId: user.id }, admin).catch((e: unknown) => e))).toBe("conflict");
  });
});

describe("password reset", () => {
  it("a link sets a new password once, ends every session, and is recorded as issued by the admin and used by the user", async () => {
    const user = await person("reset@life.test");
    const session = await signIn(t.db, user.email, PASSWORD);
    const first = await issuePasswordReset(t.db, { userId: user.id }, admin);
    const { token } = await issuePasswordReset(t.db, { userId: user.id }, admin);
    // A newer link replaces the older one.
    expect(await resetLinkAccount(t.db, first.token)).toBeNull();
    expect(await resetLinkAccount(t.db, token)).toEqual({ email: user.email });
    const mismatch = await resetPassword(t.db, { token, password: "the new long password", confirm: "something else" }).catch((e: unknown) => e);
    expect((mismatch as AppError).fields?.confirm).toEqual(["The two passwords differ"]);
    await resetPassword(t.db, { token, password: "the new long password", confirm: "the new long password" });
    expect(await userForSession(t.db, session.token)).toBeNull();
    await expect(signIn(t.db, user.email, PASSWORD)).rejects.toThrow("Email or password is wrong");
    expect((await signIn(t.db, user.email, "the new long password")).user.id).toBe(user.id);
    const again = await resetPassword(t.db, { token, password: "yet another password", confirm: "yet another password" }).catch((e: unknown) => e);
    expect((again as AppError).fields?.token).toBeDefined();
    expect(await logOf(user.id)).toEqual([
      ["password_reset", user.email],
      ["password_reset_issued", admin.email],
      ["password_reset_issued", admin.email],
    ]);
  });

  it("an expired link or a deactivated user's link does not work", async () => {
    const user = await person("expired-reset@life.test");
    const { token } = await issuePasswordReset(t.db, { userId: user.id }, admin);
    await t.sql`update password_resets set expires_at = now() - interval '1 second' where user_id = ${user.id}`;
    expect(await resetLinkAccount(t.db, token)).toBeNull();
    expect(code(await resetPassword(t.db, { token, password: "the new long password", confirm: "the new long password" }).catch((e: unknown) => e))).toBe("invalid");
    const other = await person("deact-reset@life.test");
    const link = await issuePasswordReset(t.db, { userId: other.id }, admin);
    await deactivateUser(t.db, { userId: other.id, reason: "gone" }, admin);
    expect(code(await resetPassword(t.db, { token: link.token, password: "the new long password", confirm: "the new long password" }).catch((e: unknown) => e))).toBe("invalid");
    expect(code(await issuePasswordReset(t.db, { userId: other.id }, admin).catch((e: unknown) => e))).toBe("conflict");
  });
});
