import { describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { createApiToken } from "@/lib/auth/sessions";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";

// The webhook routes by role: admins only (webhooks:manage); secrets shown once, never listed.

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const list = await import("@/app/api/v1/webhooks/route");
const one = await import("@/app/api/v1/webhooks/[id]/route");
const { GET: deliveries } = await import("@/app/api/v1/webhooks/[id]/deliveries/route");
const { POST: replay } = await import("@/app/api/v1/webhooks/deliveries/[id]/replay/route");

type Route = (r: Request, c: { params: Promise<never> }) => Promise<Response>;
const call = (route: Route, method: string, token: string | undefined, p: Record<string, string> = {}, body?: unknown) =>
  route(apiRequest("/api/v1/webhooks", { method, token, body }), params(p) as { params: Promise<never> });

const tokens = {} as Record<"operator" | "approver" | "auditor" | "admin", string>;
for (const role of ["operator", "approver", "auditor", "admin"] as const) tokens[role] = await createApiToken(t.db, (await createUser(t.db, role)).id, "t");

describe("webhook routes", () => {
  it("are refused to every role but admin, and to anonymous callers", async () => {
    const created = await call(list.POST, "POST", tokens.admin, {}, { url: "https://hooks.example.com/flowgate", eventTypes: ["workflow.instance.paused"] });
    expect(created.status).toBe(201);
    const { id, secret } = (await created.json()) as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    for (const role of ["operator", "approver", "auditor"] as const) {
      expect((await call(list.GET, "GET", tokens[role])).status, role).toBe(403);
      expect((await call(list.POST, "POST", tokens[role], {}, { url: "https://x.example.com" })).status, role).toBe(403);
      expect((await call(one.GET, "GET", tokens[role], { id })).status, role).toBe(403);
      expect((await call(one.PATCH, "PATCH", tokens[role], { id }, { active: false })).status, role).toBe(403);
      expect((await call(one.DELETE, "DELETE", tokens[role], { id })).status, role).toBe(403);
      expect((await call(deliveries, "GET", tokens[role], { id })).status, role).toBe(403);
      expect((await call(replay, "POST", tokens[role], { id: "00000000-0000-4000-8000-000000000000" })).status, role).toBe(403);
    }
    expect((await call(list.GET, "GET", undefined)).status).toBe(401);
    const listed = await (await call(list.GET, "GET", tokens.admin)).text();
    expect(listed).toContain(id);
    expect(listed).not.toContain(secret);
  });
});
