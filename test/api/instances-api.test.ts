import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { history, instances, type Role } from "@/db/schema";
import { createApiToken, SESSION_COOKIE, signIn } from "@/lib/auth/sessions";
import { hashPassword } from "@/lib/auth/password";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createFailedInstance, createInstance, createUser } from "../support/factories";

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const { GET: listInstancesRoute } = await import("@/app/api/v1/instances/route");
const { GET: getInstanceRoute } = await import("@/app/api/v1/instances/[id]/route");
const { POST: pauseRoute } = await import("@/app/api/v1/instances/[id]/pause/route");
const { POST: resumeRoute } = await import("@/app/api/v1/instances/[id]/resume/route");
const { POST: retryRoute } = await import("@/app/api/v1/instances/[id]/retry/route");
const { GET: historyRoute } = await import("@/app/api/v1/history/route");
const { GET: accessChangesRoute } = await import("@/app/api/v1/access-changes/route");
const { GET: healthRoute } = await import("@/app/api/health/route");

const tokens = {} as Record<Role, string>;
beforeAll(async () => {
  for (const role of ["operator", "approver", "auditor", "admin"] as const) {
    const user = await createUser(t.db, role);
    tokens[role] = await createApiToken(t.db, user.id, "test");
  }
});

const pause = (id: string, body: unknown, token?: string) => pauseRoute(apiRequest(`/api/v1/instances/${id}/pause`, { method: "POST", token, body }), params({ id }));
const resume = (id: string, body: unknown, token?: string) => resumeRoute(apiRequest(`/api/v1/instances/${id}/resume`, { method: "POST", token, body }), params({ id }));
const readHistory = (token?: string) => historyRoute(apiRequest("/api/v1/history", { token }), params({}));
const readAccessLog = (token?: string) => accessChangesRoute(apiRequest("/api/v1/access-changes", { token }), params({}));
const readInstances = (token?: string) => listInstancesRoute(apiRequest("/api/v1/instances", { token }), params({}));

async function historyCount(id: string) {
  return (await t.db.select().from(history).where(eq(history.instanceId, id))).length;
}

describe("role × action matrix", () => {
  const matrix: [Role | "anonymous", { pause: number; resume: number; history: number; instances: number; accessLog: number }][] = [
    ["anonymous", { pause: 401, resume: 401, history: 401, instances: 401, accessLog: 401 }],
    ["operator", { pause: 200, resume: 200, history: 200, instances: 200, accessLog: 403 }],
    ["approver", { pause: 403, resume: 403, history: 200, instances: 200, accessLog: 403 }],
    ["auditor", { pause: 403, resume: 403, history: 200, instances: 200, accessLog: 200 }],
    ["admin", { pause: 200, resume: 200, history: 200, instances: 200, accessLog: 200 }],
  ];
  it.each(matrix)("%s", async (role, expected) => {
    const token = role === "anonymous" ? undefined : tokens[role];
    const inst = await createInstance(t.db);
    expect((await pause(inst.id, { reason: "matrix" }, token)).status).toBe(expected.pause);
    if (expected.pause !== 200) await pauseInstance(t.db, { instanceId: inst.id, reason: "setup" }, { id: null, label: "setup" });
    expect((await resume(inst.id, {}, token)).status).toBe(expected.resume);
    expect((await readHistory(token)).status).toBe(expected.history);
    expect((await readInstances(token)).status).toBe(expected.instances);
    expect((await readAccessLog(token)).status).toBe(expected.accessLog);
    // A refused command writes nothing: started + the setup pause only.
    if (expected.pause !== 200) expect(await historyCount(inst.id)).toBe(2);
  });
});

describe("retry over HTTP", () => {
  const retry = (id: string, body: unknown, token?: string) => retryRoute(apiRequest(`/api/v1/instances/${id}/retry`, { method: "POST", token, body }), params({ id }));

  it.each([
    ["anonymous", 401],
    ["operator", 200],
    ["approver", 403],
    ["auditor", 403],
    ["admin", 200],
  ] as const)("%s: %i, and a refusal writes nothing", async (role, status) => {
    const inst = await createFailedInstance(t.db);
    const response = await retry(inst.id, { reason: "Upstream is back" }, role === "anonymous" ? undefined : tokens[role]);
    expect(response.status).toBe(status);
    const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
    expect(row!.status).toBe(status === 200 ? "running" : "failed");
    expect(await historyCount(inst.id)).toBe(status === 200 ? 2 : 1);
  });

  it("answers 409 for an instance that is not failed, 400 naming the reason, 404 for an unknown id", async () => {
    const running = await createInstance(t.db);
    const conflict = await retry(running.id, { reason: "again" }, tokens.operator);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: { code: "conflict", message: "Only a failed instance can be retried; this one is running" } });
    const failed = await createFailedInstance(t.db);
    const blank = await retry(failed.id, { reason: " " }, tokens.operator);
    expect(blank.status).toBe(400);
    expect(await blank.json()).toMatchObject({ error: { code: "invalid", fields: { reason: ["Say why you are retrying"] } } });
    expect((await retry("00000000-0000-4000-8000-000000000000", { reason: "x" }, tokens.operator)).status).toBe(404);
    expect(await historyCount(failed.id)).toBe(1);
  });
});

describe("pause and resume over HTTP", () => {
  it("pauses with 200 and the instance, then resumes", async () => {
    const inst = await createInstance(t.db);
    const paused = await pause(inst.id, { reason: "System maintenance", mode: "immediate" }, tokens.operator);
    expect(paused.status).toBe(200);
    expect(await paused.json()).toMatchObject({ id: inst.id, status: "paused", pauseReason: "System maintenance", pauseMode: "immediate" });
    const resumed = await resume(inst.id, { reason: "done" }, tokens.operator);
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ id: inst.id, status: "running" });
  });

  it.each([
    ["an empty reason", { reason: "" }, 400, "reason"],
    ["a blank reason", { reason: "    " }, 400, "reason"],
    ["a 501-character reason", { reason: "r".repeat(501) }, 400, "reason"],
    ["a wrong mode", { reason: "ok", mode: "later" }, 400, "mode"],
    ["a reason that is not text", { reason: 42 }, 400, "reason"],
  ])("refuses %s with 400, field errors, and writes nothing", async (_name, body, status, field) => {
    const inst = await createInstance(t.db);
    const response = await pause(inst.id, body, tokens.operator);
    expect(response.status).toBe(status);
    const json = (await response.json()) as { error: { code: string; message: string; fields: Record<string, string[]> } };
    expect(json.error.code).toBe("invalid");
    expect(json.error.message).toBeTruthy();
    expect(json.error.fields[field]).toBeDefined();
    const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
    expect(row!.status).toBe("running");
    expect(await historyCount(inst.id)).toBe(1);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const inst = await createInstance(t.db);
    const response = await pauseRoute(apiRequest(`/api/v1/instances/${inst.id}/pause`, { method: "POST", token: tokens.operator, rawBody: "{nope" }), params({ id: inst.id }));
    expect(response.status).toBe(400);
  });

  it.each(["00000000-0000-4000-8000-000000000000", "not-an-id", "%27%3B--"])("answers 404 for id %s", async (id) => {
    expect((await pause(id, { reason: "x" }, tokens.operator)).status).toBe(404);
    expect((await getInstanceRoute(apiRequest(`/api/v1/instances/${id}`, { token: tokens.auditor }), params({ id }))).status).toBe(404);
  });

  it("answers 409 for an illegal transition, with the reason in the message", async () => {
    const inst = await createInstance(t.db);
    const response = await resume(inst.id, {}, tokens.operator);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: "conflict", message: expect.stringContaining("Only a paused instance") } });
    const done = await createInstance(t.db, { status: "completed" });
    expect((await pause(done.id, { reason: "x" }, tokens.operator)).status).toBe(409);
  });

  it("answers 409 for a stale expected version", async () => {
    const inst = await createInstance(t.db);
    const response = await pause(inst.id, { reason: "x", expectedVersion: 99 }, tokens.operator);
    expect(response.status).toBe(409);
  });

  it("accepts the session cookie as well as a bearer token", async () => {
    await createUser(t.db, "operator", { email: "cookie@test.dev", passwordHash: await hashPassword("correct horse") });
    const session = await signIn(t.db, "cookie@test.dev", "correct horse");
    const response = await listInstancesRoute(apiRequest("/api/v1/instances", { cookie: `${SESSION_COOKIE}=${session.token}` }), params({}));
    expect(response.status).toBe(200);
    expect((await listInstancesRoute(apiRequest("/api/v1/instances", { cookie: `${SESSION_COOKIE}=forged` }), params({}))).status).toBe(401);
    expect((await listInstancesRoute(apiRequest("/api/v1/instances", { token: "fgt_forged" }), params({}))).status).toBe(401);
  });
});

describe("reads", () => {
  it("GET /instances/{id} returns steps with timings and the history", async () => {
    const inst = await createInstance(t.db, { runningSteps: ["a"] });
    const response = await getInstanceRoute(apiRequest(`/api/v1/instances/${inst.id}`, { token: tokens.auditor }), params({ id: inst.id }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { steps: { key: string; status: string; startedAt: string | null; finishedAt: string | null }[]; history: { action: string }[] };
    expect(body.steps.map((s) => [s.key, s.status])).toEqual([["a", "running"], ["b", "not_started"]]);
    expect(body.steps[0]!.startedAt).toEqual(expect.any(String));
    expect(body.steps[0]).toHaveProperty("finishedAt", null);
    expect(body.history.map((h) => h.action)).toEqual(["started"]);
  });

  it("GET /instances pages with a cursor without skipping or repeating, and filters by status", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add((await createInstance(t.db, { status: "waiting" })).id);
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const response = await listInstancesRoute(apiRequest(`/api/v1/instances?status=waiting&limit=3${cursor ? `&cursor=${cursor}` : ""}`, { token: tokens.auditor }), params({}));
      const page = (await response.json()) as { items: { id: string; status: string }[]; nextCursor: string | null };
      expect(page.items.every((i) => i.status === "waiting")).toBe(true);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(new Set(seen).size);
    expect(new Set(seen)).toEqual(ids);
  });

  it("GET /instances refuses a bad limit or cursor with 400", async () => {
    expect((await listInstancesRoute(apiRequest("/api/v1/instances?limit=0", { token: tokens.auditor }), params({}))).status).toBe(400);
    expect((await listInstancesRoute(apiRequest("/api/v1/instances?cursor=garbage", { token: tokens.auditor }), params({}))).status).toBe(400);
    expect((await listInstancesRoute(apiRequest("/api/v1/instances?status=sleeping", { token: tokens.auditor }), params({}))).status).toBe(400);
  });

  it("GET /history filters by instance, actor and action", async () => {
    const inst = await createInstance(t.db);
    await pause(inst.id, { reason: "filter me" }, tokens.admin);
    const response = await historyRoute(apiRequest(`/api/v1/history?instanceId=${inst.id}&action=paused`, { token: tokens.auditor }), params({}));
    const body = (await response.json()) as { items: { action: string; reason: string; actorLabel: string }[] };
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ action: "paused", reason: "filter me" });
    const byActor = await historyRoute(apiRequest(`/api/v1/history?instanceId=${inst.id}&actor=${encodeURIComponent(body.items[0]!.actorLabel)}`, { token: tokens.auditor }), params({}));
    expect(((await byActor.json()) as { items: unknown[] }).items).toHaveLength(1);
    expect((await historyRoute(apiRequest("/api/v1/history?action=exploded", { token: tokens.auditor }), params({}))).status).toBe(400);
  });

  it("GET /api/health reports the database", async () => {
    const response = await healthRoute();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", database: { status: "up" } });
  });
});

describe("cross-site writes", () => {
  it("refuses a cookie-authenticated write that is not JSON (a plain form post from another site)", async () => {
    await createUser(t.db, "operator", { email: "csrf@test.dev", passwordHash: await hashPassword("correct horse") });
    const session = await signIn(t.db, "csrf@test.dev", "correct horse");
    const inst = await createInstance(t.db);
    const request = new Request(`http://flowgate.test/api/v1/instances/${inst.id}/pause`, {
      method: "POST",
      headers: { cookie: `${SESSION_COOKIE}=${session.token}`, "content-type": "text/plain" },
      body: JSON.stringify({ reason: "csrf" }),
    });
    expect((await pauseRoute(request, params({ id: inst.id }))).status).toBe(415);
    expect(await historyCount(inst.id)).toBe(1);
  });

  /** A cookie-authenticated pause as a browser would send it, with the given headers on top. */
  async function cookiePause(headers: Record<string, string>) {
    const email = `csrf-${Math.random().toString(36).slice(2)}@test.dev`;
    await createUser(t.db, "operator", { email, passwordHash: await hashPassword("correct horse") });
    const session = await signIn(t.db, email, "correct horse");
    const inst = await createInstance(t.db);
    const request = new Request(`http://flowgate.test/api/v1/instances/${inst.id}/pause`, {
      method: "POST",
      headers: { cookie: `${SESSION_COOKIE}=${session.token}`, "content-type": "application/json", ...headers },
      body: JSON.stringify({ reason: "csrf" }),
    });
    const response = await pauseRoute(request, params({ id: inst.id }));
    return { response, written: (await historyCount(inst.id)) - 1 };
  }

  it("refuses a media type that only mentions JSON (a no-cors fetch's text/plain; x=application/json)", async () => {
    const { response, written } = await cookiePause({ "content-type": "text/plain; x=application/json" });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
    expect(written).toBe(0);
  });

  it("refuses a write from another origin, even a same-site one (another port of the same host)", async () => {
    const { response, written } = await cookiePause({ origin: "http://flowgate.test:8080" });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: "cross_origin" } });
    expect(written).toBe(0);
  });

  it("refuses a write the browser marks as same-site or cross-site", async () => {
    for (const site of ["same-site", "cross-site"]) {
      const { response, written } = await cookiePause({ "sec-fetch-site": site });
      expect(response.status).toBe(403);
      expect(written).toBe(0);
    }
  });

  it("accepts the app's own pages: same origin, exact JSON with a charset", async () => {
    const { response, written } = await cookiePause({ origin: "http://flowgate.test", "sec-fetch-site": "same-origin", "content-type": "Application/JSON; charset=utf-8" });
    expect(response.status).toBe(200);
    expect(written).toBe(1);
  });

  it("does not apply the cookie rules to a bearer token (no browser sends one by itself)", async () => {
    const inst = await createInstance(t.db);
    const request = new Request(`http://flowgate.test/api/v1/instances/${inst.id}/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.operator}`, "content-type": "application/json", origin: "https://ci.example.com" },
      body: JSON.stringify({ reason: "from CI" }),
    });
    expect((await pauseRoute(request, params({ id: inst.id }))).status).toBe(200);
  });
});
