import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { gateDecisions, history, instances, workflowHolds } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { verifyChains } from "@/lib/audit/verify-chain";
import { createApiToken } from "@/lib/auth/sessions";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createDefinition, createGatedInstance, createInstance, createUser } from "../support/factories";

// One example per fault of issue 10 §1 (bad input at the boundary); the property-based sweep
// over every route is in input-properties.test.ts.

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const routes = {
  start: (await import("@/app/api/v1/instances/route")).POST,
  list: (await import("@/app/api/v1/instances/route")).GET,
  pause: (await import("@/app/api/v1/instances/[id]/pause/route")).POST,
  resume: (await import("@/app/api/v1/instances/[id]/resume/route")).POST,
  cancel: (await import("@/app/api/v1/instances/[id]/cancel/route")).POST,
  bulkPause: (await import("@/app/api/v1/instances/bulk/pause/route")).POST,
  bulkResume: (await import("@/app/api/v1/instances/bulk/resume/route")).POST,
  approve: (await import("@/app/api/v1/gates/[id]/approve/route")).POST,
  reject: (await import("@/app/api/v1/gates/[id]/reject/route")).POST,
  delegate: (await import("@/app/api/v1/gates/[id]/delegate/route")).POST,
  gates: (await import("@/app/api/v1/gates/route")).GET,
  hold: (await import("@/app/api/v1/workflows/[key]/pause/route")).POST,
  release: (await import("@/app/api/v1/workflows/[key]/resume/route")).POST,
  history: (await import("@/app/api/v1/history/route")).GET,
  exportHistory: (await import("@/app/api/v1/history/export/route")).GET,
};

let admin: { user: SessionUser; token: string };
beforeAll(async () => {
  const user = await createUser(t.db, "admin", { email: "admin@bad-input.test" });
  admin = { user, token: await createApiToken(t.db, user.id, "test") };
});

type ErrorBody = { error: { code: string; message: string; fields?: Record<string, string[]> } };
const post = (route: (r: Request, c: { params: Promise<never> }) => Promise<Response>, path: string, p: Record<string, string>, body: unknown, rawBody?: string) =>
  route(apiRequest(path, { method: "POST", token: admin.token, body, rawBody }), params(p) as { params: Promise<never> });
const get = (route: (r: Request, c: { params: Promise<never> }) => Promise<Response>, path: string) =>
  route(apiRequest(path, { token: admin.token }), params({}) as { params: Promise<never> });
const historyOf = async (id: string) => t.db.select().from(history).where(eq(history.instanceId, id));

/** A fresh target for each write route and a call that sends `text` in its text field(s). */
const writes: [string, (text: string) => Promise<{ response: Response; untouched: () => Promise<void> }>][] = [
  ["POST /instances (workflow)", async (text) => ({ response: await post(routes.start, "/api/v1/instances", {}, { workflow: text }), untouched: async () => {} })],
  ...(["pause", "cancel"] as const).map((verb): (typeof writes)[number] => [
    `POST /instances/{id}/${verb} (reason)`,
    async (text) => {
      const inst = await createInstance(t.db);
      const response = await post(routes[verb], `/api/v1/instances/${inst.id}/${verb}`, { id: inst.id }, { reason: text });
      return { response, untouched: async () => expect(await historyOf(inst.id)).toHaveLength(1) };
    },
  ]),
  [
    "POST /instances/{id}/resume (reason)",
    async (text) => {
      const inst = await createInstance(t.db, { status: "paused" });
      const response = await post(routes.resume, `/api/v1/instances/${inst.id}/resume`, { id: inst.id }, { reason: text });
      return { response, untouched: async () => expect(await historyOf(inst.id)).toHaveLength(1) };
    },
  ],
  [
    "POST /instances/bulk/pause (reason)",
    async (text) => {
      const inst = await createInstance(t.db);
      const response = await post(routes.bulkPause, "/api/v1/instances/bulk/pause", {}, { instanceIds: [inst.id], reason: text });
      return { response, untouched: async () => expect(await historyOf(inst.id)).toHaveLength(1) };
    },
  ],
  [
    "POST /instances/bulk/resume (reason)",
    async (text) => {
      const inst = await createInstance(t.db, { status: "paused" });
      const response = await post(routes.bulkResume, "/api/v1/instances/bulk/resume", {}, { instanceIds: [inst.id], reason: text });
      return { response, untouched: async () => expect(await historyOf(inst.id)).toHaveLength(1) };
    },
  ],
  ...(["approve", "reject"] as const).map((verb): (typeof writes)[number] => [
    `POST /gates/{id}/${verb} (comment)`,
    async (text) => {
      const { gate } = await createGatedInstance(t.db, { stage: "s" });
      const response = await post(routes[verb], `/api/v1/gates/${gate.id}/${verb}`, { id: gate.id }, { comment: text });
      return { response, untouched: async () => expect(await t.db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id))).toHaveLength(0) };
    },
  ]),
  [
    "POST /gates/{id}/delegate (reason)",
    async (text) => {
      const { gate, instance } = await createGatedInstance(t.db, { stage: "s" });
      const before = (await historyOf(instance.id)).length;
      const response = await post(routes.delegate, `/api/v1/gates/${gate.id}/delegate`, { id: gate.id }, { to: "someone@bad-input.test", reason: text });
      return { response, untouched: async () => expect(await historyOf(instance.id)).toHaveLength(before) };
    },
  ],
  [
    "POST /workflows/{key}/pause (reason)",
    async (text) => {
      const def = await createDefinition(t.db);
      const response = await post(routes.hold, `/api/v1/workflows/${def.key}/pause`, { key: def.key }, { reason: text });
      return { response, untouched: async () => expect(await t.db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, def.key))).toHaveLength(0) };
    },
  ],
  [
    "POST /workflows/{key}/resume (key)",
    async (text) => ({ response: await post(routes.release, `/api/v1/workflows/x/resume`, { key: text }, {}), untouched: async () => {} }),
  ],
];

async function expect400(response: Response, field?: string): Promise<ErrorBody["error"]> {
  const body = (await response.json()) as ErrorBody;
  expect({ status: response.status, code: body.error.code }).toEqual({ status: 400, code: "invalid" });
  if (field) expect(Object.keys(body.error.fields ?? {})).toContain(field);
  return body.error;
}

describe("NUL in a text field", () => {
  it.each(writes)("%s: 400 naming the field, nothing written", async (_name, call) => {
    const { response, untouched } = await call("a\u0000b");
    const error = await expect400(response);
    expect(error.message).toMatch(/control character/);
    await untouched();
  });
});

describe("NUL in a query filter", () => {
  it.each([
    ["/api/v1/instances?q=%00", routes.list, "q"],
    ["/api/v1/instances?workflow=%00", routes.list, "workflow"],
    ["/api/v1/history?actor=%00", routes.history, "actor"],
    ["/api/v1/history?workflow=%00", routes.history, "workflow"],
    ["/api/v1/history?q=%00", routes.history, "q"],
    ["/api/v1/history/export?actor=%00", routes.exportHistory, "actor"],
    ["/api/v1/history/export?q=a%00b", routes.exportHistory, "q"],
  ] as const)("%s: 400 naming the field", async (path, route, field) => {
    await expect400(await get(route, path), field);
  });
});

describe("dates outside what PostgreSQL and ISO 8601 agree on", () => {
  it.each([
    ["/api/v1/history?from=-010000-01-01", routes.history, "from"],
    ["/api/v1/history?to=%2B275760-09-13", routes.history, "to"],
    ["/api/v1/history/export?from=-010000-01-01", routes.exportHistory, "from"],
    ["/api/v1/history/export?to=%2B275760-09-13", routes.exportHistory, "to"],
    ["/api/v1/history?from=2027-02-30", routes.history, "from"],
  ] as const)("%s: 400 naming the field", async (path, route, field) => {
    await expect400(await get(route, path), field);
  });

  it("resumeAt 2027-02-30 (no such day) and [2027,1,1] (not a string) are refused, not stored as some other date", async () => {
    for (const resumeAt of ["2027-02-30", [2027, 1, 1], 1830000000000, "2027-13-01T00:00Z", "2027-01-01T24:00Z"]) {
      const inst = await createInstance(t.db);
      await expect400(await post(routes.pause, `/api/v1/instances/${inst.id}/pause`, { id: inst.id }, { reason: "scheduled", resumeAt }), "resumeAt");
      expect((await t.db.select().from(instances).where(eq(instances.id, inst.id)))[0]!.status).toBe("running");
    }
  });

  it("a strict ISO 8601 resumeAt is stored as that instant", async () => {
    const inst = await createInstance(t.db);
    const response = await post(routes.pause, `/api/v1/instances/${inst.id}/pause`, { id: inst.id }, { reason: "scheduled", resumeAt: "2027-02-28T09:30:00+01:00" });
    expect(response.status).toBe(200);
    const [row] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
    expect(row!.resumeAt!.toISOString()).toBe("2027-02-28T08:30:00.000Z");
  });
});

describe("a lone surrogate in a reason", () => {
  it("is refused with 400, and the audit chain still verifies", async () => {
    const inst = await createInstance(t.db);
    const error = await expect400(await post(routes.pause, `/api/v1/instances/${inst.id}/pause`, { id: inst.id }, { reason: "x \ud800 y" }), "reason");
    expect(error.message).toMatch(/surrogate/);
    expect(await historyOf(inst.id)).toHaveLength(1);
    expect((await verifyChains(t.sql)).ok).toBe(true);
  });
});

describe("oversized and deeply nested bodies", () => {
  it("a body over 64 KB gets 413 before it is parsed or applied", async () => {
    const inst = await createInstance(t.db);
    const raw = JSON.stringify({ reason: "big", padding: "a".repeat(70_000) });
    const response = await post(routes.pause, `/api/v1/instances/${inst.id}/pause`, { id: inst.id }, undefined, raw);
    expect(response.status).toBe(413);
    expect(((await response.json()) as ErrorBody).error.code).toBe("too_large");
    expect(await historyOf(inst.id)).toHaveLength(1);
  });

  it("a 50 MB body gets 413 whether or not it declares its length, and a declared length over the limit is refused unread", async () => {
    const inst = await createInstance(t.db);
    const big = JSON.stringify({ reason: "big", padding: "a".repeat(50 * 1024 * 1024) });
    const path = `/api/v1/instances/${inst.id}/pause`;
    expect((await post(routes.pause, path, { id: inst.id }, undefined, big)).status).toBe(413);
    const declared = new Request(`http://flowgate.test${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}`, "content-length": String(50 * 1024 * 1024) }, body: '{"reason":"small"}' });
    expect((await routes.pause(declared, params({ id: inst.id }) as { params: Promise<never> })).status).toBe(413);
    expect(await historyOf(inst.id)).toHaveLength(1);
  });

  it("a deeply nested array inside the limit gets 400, not parsed into the command", async () => {
    const inst = await createInstance(t.db);
    const depth = 20_000;
    const raw = `{"reason":"deep","extra":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const response = await post(routes.pause, `/api/v1/instances/${inst.id}/pause`, { id: inst.id }, undefined, raw);
    const error = await expect400(response);
    expect(error.message).toMatch(/nest/);
    expect(await historyOf(inst.id)).toHaveLength(1);
  });
});

describe("blank and length", () => {
  it("a reason made only of zero-width and other invisible characters is blank: 400", async () => {
    const inst = await createInstance(t.db);
    await expect400(await post(routes.pause, `/api/v1/instances/${inst.id}/pause`, { id: inst.id }, { reason: "\u200b\u200b\u2060\ufeff\u200d" }), "reason");
    expect(await historyOf(inst.id)).toHaveLength(1);
  });

  it("length is counted in code points: 500 emoji are a 500-character reason, 501 are too many", async () => {
    const ok = await createInstance(t.db);
    const response = await post(routes.pause, `/api/v1/instances/${ok.id}/pause`, { id: ok.id }, { reason: "😀".repeat(500) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { pauseReason: string }).pauseReason).toBe("😀".repeat(500));
    const over = await createInstance(t.db);
    await expect400(await post(routes.pause, `/api/v1/instances/${over.id}/pause`, { id: over.id }, { reason: "😀".repeat(501) }), "reason");
  });

  it("the reason dialog's counter uses the same count and the same blank rule as the server", async () => {
    const { textFieldStatus } = await import("@/lib/text");
    expect(textFieldStatus("😀".repeat(500), { max: 500, required: true })).toEqual({ length: 500, tooLong: false, blank: false, invalid: false });
    expect(textFieldStatus("\u200b\u200b", { max: 500, required: true })).toMatchObject({ blank: true, invalid: true });
    expect(textFieldStatus("é".normalize("NFD").repeat(500), { max: 500, required: true })).toMatchObject({ length: 500, tooLong: false });
  });
});

describe("the /history page's loader", () => {
  it("answers a malformed cursor, a NUL filter or an out-of-range date with field errors and no rows, not an error page", async () => {
    const { listHistoryForPage } = await import("@/lib/audit/queries");
    for (const [raw, field] of [[{ cursor: "garbage" }, "cursor"], [{ actor: "a\u0000" }, "actor"], [{ from: "-010000-01-01" }, "from"]] as const) {
      const result = await listHistoryForPage(t.db, raw);
      expect(result.page).toBeNull();
      expect(Object.keys(result.errors)).toContain(field);
    }
    expect((await listHistoryForPage(t.db, { limit: "5" })).page?.items.length).toBeGreaterThan(0);
  });
});
