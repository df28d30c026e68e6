import { beforeAll, describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import type { Role } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { createApiToken } from "@/lib/auth/sessions";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { actor, createGatedInstance, createUser } from "../support/factories";

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const { GET: listRoute } = await import("@/app/api/v1/gates/route");
const { POST: approveRoute } = await import("@/app/api/v1/gates/[id]/approve/route");
const { POST: rejectRoute } = await import("@/app/api/v1/gates/[id]/reject/route");
const { POST: delegateRoute } = await import("@/app/api/v1/gates/[id]/delegate/route");

const people = {} as Record<"approver" | "approver2" | "operator" | "auditor" | "admin", { user: SessionUser; token: string }>;
beforeAll(async () => {
  const roles: [keyof typeof people, Role][] = [["approver", "approver"], ["approver2", "approver"], ["operator", "operator"], ["auditor", "auditor"], ["admin", "admin"]];
  for (const [name, role] of roles) {
    const user = await createUser(t.db, role, { email: `${name}@api.test` });
    people[name] = { user, token: await createApiToken(t.db, user.id, "test") };
  }
});

const post = (route: typeof approveRoute, verb: string, id: string, body: unknown, token?: string) =>
  route(apiRequest(`/api/v1/gates/${id}/${verb}`, { method: "POST", token, body }), params({ id }));
const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string; fields?: Record<string, string[]> } }).error;

describe("gates API", () => {
  it("approve: 200 for an approver, 403 for an operator or auditor, 401 anonymous", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "staging" });
    expect((await post(approveRoute, "approve", gate.id, {}, undefined)).status).toBe(401);
    expect((await post(approveRoute, "approve", gate.id, {}, people.operator.token)).status).toBe(403);
    expect((await post(approveRoute, "approve", gate.id, {}, people.auditor.token)).status).toBe(403);
    const ok = await post(approveRoute, "approve", gate.id, { comment: "ship it" }, people.approver.token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ outcome: "approved", gate: { id: gate.id, status: "approved" } });
  });

  it("403 for self-approval, even as admin", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "staging" }, actor(people.admin.user));
    const response = await post(approveRoute, "approve", gate.id, {}, people.admin.token);
    expect(response.status).toBe(403);
    expect((await errorOf(response)).message).toMatch(/another approver must decide/);
  });

  it("409 for a decided gate and for a second decision by the same approver", async () => {
    const two = await createGatedInstance(t.db, { stage: "production", approvals: 2 });
    expect((await post(approveRoute, "approve", two.gate.id, {}, people.approver.token)).status).toBe(200);
    expect((await post(approveRoute, "approve", two.gate.id, {}, people.approver.token)).status).toBe(409);
    expect((await post(approveRoute, "approve", two.gate.id, {}, people.approver2.token)).status).toBe(200);
    const late = await post(rejectRoute, "reject", two.gate.id, { comment: "too late" }, people.admin.token);
    expect(late.status).toBe(409);
    expect((await errorOf(late)).message).toMatch(/already approved by approver2@api\.test/);
  });

  it("reject needs a comment (400 with a field error); 404 for unknown ids", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "staging" });
    const response = await post(rejectRoute, "reject", gate.id, {}, people.approver.token);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).fields?.comment).toBeDefined();
    expect((await post(rejectRoute, "reject", gate.id, { comment: "broken" }, people.approver.token)).status).toBe(200);
    expect((await post(approveRoute, "approve", "nope", {}, people.approver.token)).status).toBe(404);
  });

  it("delegate: 200 to an approver, 400 to a non-approver", async () => {
    const { gate } = await createGatedInstance(t.db, { stage: "dba", approvers: ["approver@api.test"] });
    expect((await post(delegateRoute, "delegate", gate.id, { to: "operator@api.test", reason: "away" }, people.approver.token)).status).toBe(400);
    expect((await post(delegateRoute, "delegate", gate.id, { to: "approver2@api.test", reason: "away" }, people.approver.token)).status).toBe(200);
    expect((await post(approveRoute, "approve", gate.id, {}, people.approver2.token)).status).toBe(200);
  });

  it("GET /gates lists gates with decisions, filtered by status and paginated", async () => {
    const created = [];
    for (let i = 0; i < 3; i++) created.push((await createGatedInstance(t.db, { stage: `list-${i}` })).gate.id);
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const response = await listRoute(apiRequest(`/api/v1/gates?status=pending&limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: people.auditor.token }), params({}));
      expect(response.status).toBe(200);
      const page = (await response.json()) as { items: { id: string; instanceId: string; stage: string; status: string; required: number; decisions: unknown[] }[]; nextCursor: string | null };
      for (const item of page.items) {
        expect(item).toMatchObject({ status: "pending", required: 1, decisions: [] });
        expect(item.instanceId).toEqual(expect.any(String));
      }
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of created) expect(seen).toContain(id);
    expect((await listRoute(apiRequest("/api/v1/gates?status=maybe", { token: people.auditor.token }), params({}))).status).toBe(400);
  });

  it("delegate: 409 to someone who already holds a turn, 400 to someone outside the gate's group, each saying why", async () => {
    const both = await createGatedInstance(t.db, { stage: "both", mode: "all", approvers: ["approver@api.test", "approver2@api.test"] });
    const held = await post(delegateRoute, "delegate", both.gate.id, { to: "approver2@api.test", reason: "away" }, people.approver.token);
    expect(held.status).toBe(409);
    expect(await errorOf(held)).toMatchObject({ code: "conflict", message: expect.stringContaining("approver2@api.test already holds a turn on this gate"), fields: { to: ["Already holds a turn"] } });
    const member = await createUser(t.db, "approver", { email: "rm@api.test", groups: ["release-managers"] });
    const grouped = await createGatedInstance(t.db, { stage: "release", groups: ["release-managers"] });
    const outside = await post(delegateRoute, "delegate", grouped.gate.id, { to: "approver2@api.test", reason: "away" }, await createApiToken(t.db, member.id, "test"));
    expect(outside.status).toBe(400);
    expect(await errorOf(outside)).toMatchObject({ code: "invalid", message: "Only members of release-managers may decide this gate; approver2@api.test is not one" });
  });

  it("approve with a form and an option: 200 with the chosen path and values; 400 naming each bad field, and nothing stored", async () => {
    const form = { type: "object" as const, properties: { region: { type: "string" as const, enum: ["eu", "us"] }, batch: { type: "integer" as const, minimum: 1, maximum: 10, default: 2 } }, required: ["region"] };
    const options = [{ name: "ship", next: "c" }, { name: "hold", next: "d" }];
    const { gate } = await createGatedInstance(t.db, { stage: "form", form, options });
    const bad = await post(approveRoute, "approve", gate.id, { option: "later", values: { region: "mars", batch: "3" } }, people.approver.token);
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatchObject({ code: "invalid", fields: { option: ["Choose one of: ship, hold"] } });
    const badValues = await post(approveRoute, "approve", gate.id, { option: "ship", values: { region: "mars", batch: "3" } }, people.approver.token);
    expect(badValues.status).toBe(400);
    expect((await errorOf(badValues)).fields).toEqual({ "values.region": ["Choose one of: eu, us"], "values.batch": ["batch must be a whole number"] });
    const listed = (await (await listRoute(apiRequest("/api/v1/gates?status=pending&limit=100", { token: people.auditor.token }), params({}))).json()) as { items: { id: string; decisions: unknown[] }[] };
    expect(listed.items.find((g) => g.id === gate.id)?.decisions).toEqual([]);

    const ok = await post(approveRoute, "approve", gate.id, { option: "hold", values: { region: "us" }, comment: "wait for the freeze" }, people.approver.token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ outcome: "approved", gate: { status: "approved", chosenOption: "hold", values: { region: "us", batch: 2 }, form, options } });
    const plain = await createGatedInstance(t.db, { stage: "plain" });
    const stray = await post(approveRoute, "approve", plain.gate.id, { option: "ship", values: { a: 1 } }, people.approver.token);
    expect(stray.status).toBe(400);
    expect(Object.keys((await errorOf(stray)).fields ?? {})).toEqual(["option"]);
  });
});
