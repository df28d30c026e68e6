import { describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { createApiToken } from "@/lib/auth/sessions";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";

// Issue 10 §2: tokens, deactivation and password reset over the REST API, by role.

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const { GET: usersRoute } = await import("@/app/api/v1/users/route");
const { GET: meRoute } = await import("@/app/api/v1/me/route");
const tokensRoutes = await import("@/app/api/v1/users/[id]/tokens/route");
const { POST: revokeRoute } = await import("@/app/api/v1/tokens/[id]/revoke/route");
const { POST: deactivateRoute } = await import("@/app/api/v1/users/[id]/deactivate/route");
const { POST: reactivateRoute } = await import("@/app/api/v1/users/[id]/reactivate/route");
const { POST: resetRoute } = await import("@/app/api/v1/users/[id]/password-reset/route");
const { GET: instancesRoute } = await import("@/app/api/v1/instances/route");
const { GET: accessRoute } = await import("@/app/api/v1/access-changes/route");

const people = {} as Record<"operator" | "approver" | "auditor" | "admin", { id: string; email: string; token: string }>;
for (const role of ["operator", "approver", "auditor", "admin"] as const) {
  const user = await createUser(t.db, role);
  people[role] = { id: user.id, email: user.email, token: await createApiToken(t.db, user.id, "test") };
}

const get = (route: (r: Request, c: { params: Promise<never> }) => Promise<Response>, path: string, token: string | undefined, p: Record<string, string> = {}) =>
  route(apiRequest(path, { token }), params(p) as { params: Promise<never> });
const post = (route: (r: Request, c: { params: Promise<never> }) => Promise<Response>, path: string, token: string | undefined, p: Record<string, string>, body: unknown = {}) =>
  route(apiRequest(path, { method: "POST", token, body }), params(p) as { params: Promise<never> });

describe("who may do what", () => {
  it("only admins list users, deactivate, reactivate and issue reset links; nobody anonymous does anything", async () => {
    const subject = await createUser(t.db, "operator");
    for (const role of ["operator", "approver", "auditor"] as const) {
      const token = people[role].token;
      expect((await get(usersRoute, "/api/v1/users", token)).status, role).toBe(403);
      expect((await post(deactivateRoute, "/d", token, { id: subject.id }, { reason: "x" })).status, role).toBe(403);
      expect((await post(reactivateRoute, "/r", token, { id: subject.id })).status, role).toBe(403);
      expect((await post(resetRoute, "/p", token, { id: subject.id })).status, role).toBe(403);
    }
    expect((await get(usersRoute, "/api/v1/users", undefined)).status).toBe(401);
    expect((await get(meRoute, "/api/v1/me", undefined)).status).toBe(401);
    const listed = (await (await get(usersRoute, "/api/v1/users", people.admin.token)).json()) as { items: { email: string; activeTokens: number }[] };
    expect(listed.items.find((u) => u.email === people.operator.email)?.activeTokens).toBe(1);
  });

  it("every role holds tokens of its own; only admins see or issue others'", async () => {
    const me = (await (await get(meRoute, "/api/v1/me", people.auditor.token)).json()) as { id: string; role: string };
    expect(me).toMatchObject({ id: people.auditor.id, role: "auditor" });
    const own = await post(tokensRoutes.POST, "/t", people.auditor.token, { id: people.auditor.id }, { name: "laptop", expiresInDays: 30 });
    expect(own.status).toBe(201);
    expect(((await own.json()) as { token: string }).token).toMatch(/^fgt_/);
    expect((await get(tokensRoutes.GET, "/t", people.auditor.token, { id: people.operator.id })).status).toBe(403);
    expect((await post(tokensRoutes.POST, "/t", people.auditor.token, { id: people.operator.id }, { name: "x" })).status).toBe(403);
    expect((await get(tokensRoutes.GET, "/t", people.admin.token, { id: people.auditor.id })).status).toBe(200);
  });
});

it("a token revoked through the API gets 401 on its next request", async () => {
  const user = await createUser(t.db, "operator");
  const issued = (await (await post(tokensRoutes.POST, "/t", people.admin.token, { id: user.id }, { name: "doomed" })).json()) as { id: string; token: string };
  expect((await get(instancesRoute, "/api/v1/instances", issued.token)).status).toBe(200);
  // The token revokes itself: a leaked token's holder can kill it without anyone else.
  const revoked = await post(revokeRoute, "/r", issued.token, { id: issued.id }, { reason: "pasted in chat" });
  expect(revoked.status).toBe(200);
  expect((await get(instancesRoute, "/api/v1/instances", issued.token)).status).toBe(401);
  const again = await post(revokeRoute, "/r", people.admin.token, { id: issued.id });
  expect(again.status).toBe(409);
});

it("a deactivated user's token gets 401 until reactivated; each act is in the access log", async () => {
  const user = await createUser(t.db, "operator");
  const token = await createApiToken(t.db, user.id, "bot");
  expect((await post(deactivateRoute, "/d", people.admin.token, { id: user.id }, {})).status).toBe(400);
  expect((await post(deactivateRoute, "/d", people.admin.token, { id: user.id }, { reason: "contract ended" })).status).toBe(200);
  expect((await get(instancesRoute, "/api/v1/instances", token)).status).toBe(401);
  expect((await post(reactivateRoute, "/r", people.admin.token, { id: user.id })).status).toBe(200);
  expect((await get(instancesRoute, "/api/v1/instances", token)).status).toBe(200);
  const reset = await post(resetRoute, "/p", people.admin.token, { id: user.id });
  expect(reset.status).toBe(201);
  expect(((await reset.json()) as { url: string }).url).toMatch(/^http:\/\/flowgate\.test\/reset-password\?token=fgr_/);
  const log = (await (await get(accessRoute, "/api/v1/access-changes", people.admin.token)).json()) as { items: { subjectId: string; action: string }[] };
  expect(log.items.filter((e) => e.subjectId === user.id).map((e) => e.action)).toEqual(["password_reset_issued", "user_reactivated", "user_deactivated"]);
});
