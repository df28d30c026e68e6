import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { sessions } from "@/db/schema";
import { signIn, userForApiToken } from "@/lib/auth/sessions";
import { AppError } from "@/lib/errors";
import { recentAccessChanges } from "@/lib/users/access-log";
import { changeRole, createUser, setGroups } from "@/lib/users/manage-users";
import { issueToken } from "@/lib/users/tokens";
import { freshDatabase } from "../support/db";
import { createUser as factoryUser } from "../support/factories";

const t = await freshDatabase();
const admin = await factoryUser(t.db, "admin");

it("creates users with hashed passwords, refuses a duplicate email and a short password", async () => {
  await createUser(t.db, { email: "New@Example.com", name: "New", role: "auditor", password: "a long enough secret" }, admin);
  const session = await signIn(t.db, "new@example.com", "a long enough secret");
  expect(session.user).toMatchObject({ email: "new@example.com", role: "auditor" });
  const dup = await createUser(t.db, { email: "new@example.com", name: "Again", role: "auditor", password: "a long enough secret" }, admin).catch((e: unknown) => e);
  expect((dup as AppError).fields?.email).toBeDefined();
  const short = await createUser(t.db, { email: "s@example.com", name: "S", role: "auditor", password: "short" }, admin).catch((e: unknown) => e);
  expect((short as AppError).fields?.password).toEqual(["Use at least 12 characters"]);
  await expect(signIn(t.db, "new@example.com", "wrong password!")).rejects.toThrow("Email or password is wrong");
});

it("a role change ends the user's sessions; an admin cannot demote themselves", async () => {
  const { id } = await createUser(t.db, { email: "op@example.com", name: "Op", role: "operator", password: "a long enough secret" }, admin);
  await signIn(t.db, "op@example.com", "a long enough secret");
  await changeRole(t.db, { userId: id, role: "auditor" }, admin);
  expect(await t.db.select().from(sessions).where(eq(sessions.userId, id))).toEqual([]);
  await expect(changeRole(t.db, { userId: admin.id, role: "auditor" }, admin)).rejects.toThrow("cannot remove your own admin role");
});

it("issues an API token that authenticates as the user and is stored only as a hash", async () => {
  const { token } = await issueToken(t.db, { userId: admin.id, name: "ci" }, admin);
  expect(token).toMatch(/^fgt_/);
  expect(await userForApiToken(t.db, token)).toMatchObject({ id: admin.id });
  const stored = await t.sql`select token_hash from api_tokens where name = 'ci'`;
  expect(stored[0]!.token_hash).not.toContain(token.slice(4));
});

it("sets groups from a comma-separated list, normalised, and refuses odd names", async () => {
  const { id } = await createUser(t.db, { email: "g@example.com", name: "G", role: "approver", password: "a long enough secret" }, admin);
  expect((await setGroups(t.db, { userId: id, groups: " Release-Managers, dba,dba " }, admin)).groups).toEqual(["release-managers", "dba"]);
  await expect(setGroups(t.db, { userId: id, groups: "no spaces please" }, admin)).rejects.toThrow("lowercase letters");
});

it("records every access change with who made it, in the same transaction, append-only", async () => {
  const { id } = await createUser(t.db, { email: "audited@example.com", name: "Audited", role: "operator", password: "a long enough secret" }, admin);
  await changeRole(t.db, { userId: id, role: "approver" }, admin);
  await changeRole(t.db, { userId: id, role: "approver" }, admin); // no change, no entry
  await setGroups(t.db, { userId: id, groups: "dba" }, admin);
  await issueToken(t.db, { userId: id, name: "deploy bot" }, admin);
  // A refused change leaves no entry either.
  await expect(setGroups(t.db, { userId: id, groups: "Not Valid" }, admin)).rejects.toThrow();
  const entries = (await recentAccessChanges(t.db)).filter((e) => e.subjectId === id).reverse();
  expect(entries.map((e) => [e.action, e.details, e.actorLabel, e.subjectEmail])).toEqual([
    ["user_created", { role: "operator" }, admin.email, "audited@example.com"],
    ["role_changed", { from: "operator", to: "approver" }, admin.email, "audited@example.com"],
    ["groups_changed", { from: [], to: ["dba"] }, admin.email, "audited@example.com"],
    ["token_issued", { token: "deploy bot", tokenId: expect.any(String), expiresAt: expect.any(String) }, admin.email, "audited@example.com"],
  ]);
  // Announced through the outbox too, without the token itself.
  const announced = await t.sql`select payload from events where type = 'access.changed' and payload->'subject'->>'id' = ${id} order by id`;
  expect(announced.map((e) => (e.payload as { action: string }).action)).toEqual(["user_created", "role_changed", "groups_changed", "token_issued"]);
  expect(JSON.stringify(announced)).not.toContain("fgt_");
  await expect(t.sql`update access_changes set actor_label = 'someone else'`).rejects.toThrow(/append-only: UPDATE refused/);
  await expect(t.sql`delete from access_changes`).rejects.toThrow(/append-only: DELETE refused/);
  await expect(t.sql`truncate access_changes`).rejects.toThrow(/append-only: TRUNCATE refused/);
});
