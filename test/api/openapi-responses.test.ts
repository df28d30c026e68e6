import path from "node:path";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { and, eq } from "drizzle-orm";
import { maintenanceWindows, stepRunLogs, stepRuns, type Role } from "@/db/schema";
import { mediaType } from "@/lib/api/cookie-writes";
import { openApiDocument } from "@/lib/api/openapi";
import { hashPassword } from "@/lib/auth/password";
import { createApiToken, SESSION_COOKIE, signIn } from "@/lib/auth/sessions";
import { runWindows } from "@/lib/maintenance/run-windows";
import { registerDefinitions } from "@/lib/workflows/registry";
import { catalog } from "@/workflows/catalog";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createDefinition, createFailedInstance, createGatedInstance, createInstance, createUser } from "../support/factories";

// Issue 13 §2: real answers of the route handlers, checked against the OpenAPI document with a
// JSON Schema 2020-12 validator (OpenAPI 3.1's dialect). Answer objects are closed in the
// document (additionalProperties: false), so a field the code adds without the document fails
// here, as does a status code the operation does not list.

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
await registerDefinitions(t.db, catalog);

type Route = (request: Request, context: { params: Promise<never> }) => Promise<Response>;
const routes = path.join(import.meta.dirname, "../../app/api/v1");
const route = async (file: string, method: "GET" | "POST" | "PUT"): Promise<Route> => (await import(/* @vite-ignore */ path.join(routes, file, "route.ts")))[method];

const document = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
// The whole document as one schema resource, so its `#/components/schemas/…` references resolve.
ajv.addSchema(JSON.parse(JSON.stringify(document)), "openapi");

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/");
type ResponseObject = { $ref?: string; content?: Record<string, unknown> };

/** The validator of the answer `status` of `method path` with `type`, following a shared response's $ref. */
function validatorFor(path: string, method: "get" | "post" | "put", status: number, type: string): ValidateFunction {
  const operation = document.paths?.[path]?.[method];
  expect(operation, `${method.toUpperCase()} ${path} is not in the document`).toBeDefined();
  let answer = operation!.responses?.[String(status)] as ResponseObject | undefined;
  expect(answer, `${method.toUpperCase()} ${path} answered ${status}, which the document does not list`).toBeDefined();
  let at = ["paths", path, method, "responses", String(status)];
  if (answer!.$ref) {
    const name = answer!.$ref.split("/").at(-1)!;
    at = ["components", "responses", name];
    answer = document.components?.responses?.[name] as ResponseObject;
  }
  expect(Object.keys(answer!.content ?? {}), `${method.toUpperCase()} ${path} ${status}: media types`).toContain(type);
  const validate = ajv.getSchema(`openapi#/${pointer(...at, "content", type, "schema")}`);
  expect(validate).toBeDefined();
  return validate!;
}

/** Checks that a real answer has the expected status and matches the document; returns its parsed body. */
async function conforms<T = Record<string, unknown>>(response: Response, operation: string, status: number): Promise<T> {
  const [verb, path] = operation.split(" ") as [string, string];
  const method = verb.toLowerCase() as "get" | "post" | "put";
  expect(response.status, `${operation}: ${await response.clone().text()}`).toBe(status);
  const type = mediaType(response.headers.get("content-type"));
  const validate = validatorFor(path, method, response.status, type);
  const body: unknown = type === "application/json" ? await response.json() : await response.text();
  expect(validate(body), `${method.toUpperCase()} ${path} ${response.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 600)}`).toBe(true);
  return body as T;
}

const tokens = {} as Record<Role, string>;
const ids = {} as Record<Role, string>;
beforeAll(async () => {
  for (const role of ["operator", "approver", "auditor", "admin"] as const) {
    const user = await createUser(t.db, role);
    ids[role] = user.id;
    tokens[role] = await createApiToken(t.db, user.id, "test");
  }
});

const get = async (file: string, path: string, token: string | undefined, p: Record<string, string> = {}) => (await route(file, "GET"))(apiRequest(path, { token }), params(p) as { params: Promise<never> });
const post = async (file: string, path: string, token: string | undefined, p: Record<string, string> = {}, body: unknown = {}) =>
  (await route(file, "POST"))(apiRequest(path, { method: "POST", token, body }), params(p) as { params: Promise<never> });
const put = async (file: string, path: string, token: string | undefined, p: Record<string, string> = {}, body: unknown = {}) =>
  (await route(file, "PUT"))(apiRequest(path, { method: "PUT", token, body }), params(p) as { params: Promise<never> });

describe("maintenance windows over a filter of instances: answers match the document, and the role matrix", () => {
  it("create (201), list, read with the count held, edit; a bad filter is a 400 naming the field; 401, 403", async () => {
    const def = await createDefinition(t.db);
    const hour = 3_600_000;
    const body = { title: "EU failover", workflowKeys: [def.key], instanceFilter: { input: "region=eu", q: "" }, reason: "EU database failover", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() };
    const create = (token: string | undefined, b: unknown) => post("maintenance-windows", "/api/v1/maintenance-windows", token, {}, b);
    // Scheduling is windows:manage: approvers and auditors may not, and nothing is written.
    for (const role of ["approver", "auditor"] as const) await conforms(await create(tokens[role], body), "POST /maintenance-windows", 403);
    await conforms(await create(undefined, body), "POST /maintenance-windows", 401);
    const bad = await conforms<{ error: { code: string; fields: Record<string, string[]> } }>(await create(tokens.operator, { ...body, instanceFilter: { input: "region" } }), "POST /maintenance-windows", 400);
    expect(bad.error).toMatchObject({ code: "invalid", fields: { "instanceFilter.input": [expect.stringContaining("field=value")] } });
    const unknownKey = await conforms<{ error: { fields: Record<string, string[]> } }>(await create(tokens.operator, { ...body, instanceFilter: { input: "region=eu", status: "running" } }), "POST /maintenance-windows", 400);
    expect(Object.keys(unknownKey.error.fields)).toContain("instanceFilter");
    const list0 = await conforms<{ items: unknown[] }>(await get("maintenance-windows", "/api/v1/maintenance-windows", tokens.auditor), "GET /maintenance-windows", 200);
    expect(list0.items).toHaveLength(0);

    const created = await conforms<{ id: string; version: number; instanceFilter: unknown }>(await create(tokens.operator, body), "POST /maintenance-windows", 201);
    expect(created.instanceFilter).toEqual({ input: "region=eu" });
    const list = await conforms<{ items: { id: string; instanceFilter: unknown }[] }>(await get("maintenance-windows", "/api/v1/maintenance-windows", tokens.auditor), "GET /maintenance-windows", 200);
    expect(list.items).toMatchObject([{ id: created.id, instanceFilter: { input: "region=eu" } }]);
    const p = { id: created.id };
    const one = await conforms<{ instanceFilter: unknown; held: number; log: { action: string; details: Record<string, unknown> }[] }>(await get("maintenance-windows/[id]", `/api/v1/maintenance-windows/${created.id}`, tokens.auditor, p), "GET /maintenance-windows/{id}", 200);
    expect(one).toMatchObject({ instanceFilter: { input: "region=eu" }, held: 0, log: [{ action: "created", details: { instanceFilter: { input: "region=eu" } } }] });

    const put = async (token: string, b: unknown) => (await route("maintenance-windows/[id]", "PUT"))(apiRequest(`/api/v1/maintenance-windows/${created.id}`, { method: "PUT", token, body: b }), params(p) as { params: Promise<never> });
    await conforms(await put(tokens.auditor, { ...body, expectedVersion: created.version }), "PUT /maintenance-windows/{id}", 403);
    await conforms(await put(tokens.operator, { ...body, instanceFilter: { q: 7 }, expectedVersion: created.version }), "PUT /maintenance-windows/{id}", 400);
    const edited = await conforms<{ instanceFilter: unknown }>(await put(tokens.operator, { ...body, instanceFilter: { q: "4f2a" }, expectedVersion: created.version }), "PUT /maintenance-windows/{id}", 200);
    expect(edited.instanceFilter).toEqual({ q: "4f2a" });
  });
});

describe("bulk operations by filter: answers match the document, and the role matrix", () => {
  it("count, start (202), read, targets, cancel; refusals 400, 401, 403, 404, 409", async () => {
    const def = await createDefinition(t.db);
    for (let i = 0; i < 3; i++) await createInstance(t.db, { definitionId: def.id, workflowKey: def.key });
    const q = `status=running&workflow=${def.key}`;
    // Counting is a read: every role may.
    for (const role of ["operator", "approver", "auditor", "admin"] as const) {
      const preview = await conforms<{ matched: number }>(await get("instances/bulk/pause", `/api/v1/instances/bulk/pause?${q}`, tokens[role]), "GET /instances/bulk/pause", 200);
      expect(preview.matched).toBe(3);
    }
    await conforms(await get("instances/bulk/resume", `/api/v1/instances/bulk/resume?${q}`, tokens.auditor), "GET /instances/bulk/resume", 200);
    await conforms(await get("instances/bulk/pause", "/api/v1/instances/bulk/pause?status=sleeping", tokens.auditor), "GET /instances/bulk/pause", 400);
    await conforms(await get("instances/bulk/pause", `/api/v1/instances/bulk/pause?${q}`, undefined), "GET /instances/bulk/pause", 401);

    const body = { filter: { status: "running", workflow: def.key }, reason: "Nightly ETL source is down" };
    // Starting one is the action's permission: approvers and auditors may not, and nothing is recorded.
    for (const role of ["approver", "auditor"] as const) await conforms(await post("instances/bulk/pause", "/api/v1/instances/bulk/pause", tokens[role], {}, body), "POST /instances/bulk/pause", 403);
    await conforms(await post("instances/bulk/pause", "/api/v1/instances/bulk/pause", tokens.operator, {}, { ...body, reason: "" }), "POST /instances/bulk/pause", 400);
    await conforms(await post("instances/bulk/pause", "/api/v1/instances/bulk/pause", tokens.operator, {}, { ...body, filter: { status: "running", workflow: "nothing-here" } }), "POST /instances/bulk/pause", 409);
    const list0 = await conforms<{ items: unknown[] }>(await get("bulk-operations", "/api/v1/bulk-operations", tokens.auditor), "GET /bulk-operations", 200);
    expect(list0.items).toHaveLength(0);

    const started = await (await route("instances/bulk/pause", "POST"))(apiRequest("/api/v1/instances/bulk/pause", { method: "POST", token: tokens.operator, body }), params({}) as { params: Promise<never> });
    const operation = await conforms<{ id: string; matched: number; state: string; counts: { pending: number } }>(started.clone(), "POST /instances/bulk/pause", 202);
    expect(started.headers.get("location")).toBe(`/api/v1/bulk-operations/${operation.id}`);
    expect(operation).toMatchObject({ matched: 3, state: "running", counts: { pending: 3 } });

    const p = { id: operation.id };
    for (const role of ["operator", "approver", "auditor", "admin"] as const) {
      await conforms(await get("bulk-operations/[id]", `/api/v1/bulk-operations/${operation.id}`, tokens[role], p), "GET /bulk-operations/{id}", 200);
    }
    const list = await conforms<{ items: { id: string }[] }>(await get("bulk-operations", "/api/v1/bulk-operations", tokens.auditor), "GET /bulk-operations", 200);
    expect(list.items.map((i) => i.id)).toEqual([operation.id]);
    const targets = await conforms<{ items: unknown[] }>(await get("bulk-operations/[id]/targets", `/api/v1/bulk-operations/${operation.id}/targets?status=pending`, tokens.auditor, p), "GET /bulk-operations/{id}/targets", 200);
    expect(targets.items).toHaveLength(3);
    await conforms(await get("bulk-operations/[id]", "/api/v1/bulk-operations/nope", tokens.auditor, { id: "nope" }), "GET /bulk-operations/{id}", 404);
    await conforms(await get("bulk-operations/[id]", `/api/v1/bulk-operations/${operation.id}`, undefined, p), "GET /bulk-operations/{id}", 401);

    // Cancel: the operation's own action's permission; auditors and approvers get 403 even without a reason.
    for (const role of ["approver", "auditor"] as const) await conforms(await post("bulk-operations/[id]/cancel", `/api/v1/bulk-operations/${operation.id}/cancel`, tokens[role], p, {}), "POST /bulk-operations/{id}/cancel", 403);
    await conforms(await post("bulk-operations/[id]/cancel", `/api/v1/bulk-operations/${operation.id}/cancel`, tokens.operator, p, {}), "POST /bulk-operations/{id}/cancel", 400);
    await conforms(await post("bulk-operations/[id]/cancel", "/api/v1/bulk-operations/nope/cancel", tokens.operator, { id: "nope" }, { reason: "x" }), "POST /bulk-operations/{id}/cancel", 404);
    const cancelled = await conforms<{ state: string; counts: { skipped: number } }>(await post("bulk-operations/[id]/cancel", `/api/v1/bulk-operations/${operation.id}/cancel`, tokens.admin, p, { reason: "Wrong filter" }), "POST /bulk-operations/{id}/cancel", 200);
    expect(cancelled).toMatchObject({ state: "cancelled", counts: { skipped: 3 } });
    await conforms(await post("bulk-operations/[id]/cancel", `/api/v1/bulk-operations/${operation.id}/cancel`, tokens.operator, p, { reason: "again" }), "POST /bulk-operations/{id}/cancel", 409);

    // Its stream: read permission (every role); an ended operation's stream is one `done` event, then it ends.
    for (const role of ["operator", "approver", "auditor", "admin"] as const) {
      const text = await conforms<string>(await get("bulk-operations/[id]/stream", `/api/v1/bulk-operations/${operation.id}/stream`, tokens[role], p), "GET /bulk-operations/{id}/stream", 200);
      expect(text).toMatch(/^event: done\ndata: \{"id":"[^"]+".*"state":"cancelled"/m);
    }
    await conforms(await get("bulk-operations/[id]/stream", "/api/v1/bulk-operations/nope/stream", tokens.auditor, { id: "nope" }), "GET /bulk-operations/{id}/stream", 404);
    await conforms(await get("bulk-operations/[id]/stream", `/api/v1/bulk-operations/${operation.id}/stream`, undefined, p), "GET /bulk-operations/{id}/stream", 401);
  });
});

describe("maintenance windows and the start policy: answers match the document, and the role matrix", () => {
  it("list, create (once and recurring), read, edit, end early, cancel; refusals 400, 401, 403, 404, 409", async () => {
    const def = await createDefinition(t.db);
    const hour = 3_600_000;
    const once = { title: "DB upgrade", workflowKeys: [def.key], reason: "Postgres 17 upgrade", category: "maintenance", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() };
    for (const role of ["approver", "auditor"] as const) await conforms(await post("maintenance-windows", "/api/v1/maintenance-windows", tokens[role], {}, once), "POST /maintenance-windows", 403);
    await conforms(await post("maintenance-windows", "/api/v1/maintenance-windows", undefined, {}, once), "POST /maintenance-windows", 401);
    const bad = await conforms<{ error: { fields: Record<string, string[]> } }>(await post("maintenance-windows", "/api/v1/maintenance-windows", tokens.operator, {}, { ...once, endsAt: once.startsAt }), "POST /maintenance-windows", 400);
    expect(bad.error.fields.endsAt).toBeDefined();
    const created = await conforms<{ id: string; version: number; state: string }>(await post("maintenance-windows", "/api/v1/maintenance-windows", tokens.operator, {}, once), "POST /maintenance-windows", 201);
    expect(created.state).toBe("scheduled");
    const nightly = await conforms<{ id: string; cron: string }>(
      await post("maintenance-windows", "/api/v1/maintenance-windows", tokens.admin, {}, { title: "Nightly", workflowKeys: [def.key], reason: "Backups", cron: "0 2 * * *", timezone: "Europe/Berlin", durationMinutes: 45 }),
      "POST /maintenance-windows",
      201,
    );
    expect(nightly.cron).toBe("0 2 * * *");

    for (const role of ["operator", "approver", "auditor", "admin"] as const) {
      const list = await conforms<{ items: { id: string }[] }>(await get("maintenance-windows", "/api/v1/maintenance-windows", tokens[role]), "GET /maintenance-windows", 200);
      expect(list.items.map((w) => w.id)).toEqual(expect.arrayContaining([created.id, nightly.id]));
    }
    await conforms(await get("maintenance-windows", "/api/v1/maintenance-windows?include=all", tokens.auditor), "GET /maintenance-windows", 200);
    await conforms(await get("maintenance-windows", "/api/v1/maintenance-windows?include=sometimes", tokens.auditor), "GET /maintenance-windows", 400);
    await conforms(await get("maintenance-windows", "/api/v1/maintenance-windows", undefined), "GET /maintenance-windows", 401);

    const p = { id: created.id };
    const path = `/api/v1/maintenance-windows/${created.id}`;
    const edited = await conforms<{ title: string; version: number }>(await put("maintenance-windows/[id]", path, tokens.operator, p, { ...once, title: "DB upgrade (moved)", expectedVersion: created.version }), "PUT /maintenance-windows/{id}", 200);
    expect(edited.title).toBe("DB upgrade (moved)");
    await conforms(await put("maintenance-windows/[id]", path, tokens.operator, p, { ...once, expectedVersion: created.version }), "PUT /maintenance-windows/{id}", 409);
    await conforms(await put("maintenance-windows/[id]", path, tokens.auditor, p, once), "PUT /maintenance-windows/{id}", 403);
    await conforms(await put("maintenance-windows/[id]", path, tokens.operator, p, { ...once, title: "" }), "PUT /maintenance-windows/{id}", 400);
    const detail = await conforms<{ log: { action: string }[] }>(await get("maintenance-windows/[id]", path, tokens.auditor, p), "GET /maintenance-windows/{id}", 200);
    expect(detail.log.map((l) => l.action)).toEqual(["created", "edited"]);
    const unknown = crypto.randomUUID();
    await conforms(await get("maintenance-windows/[id]", `/api/v1/maintenance-windows/${unknown}`, tokens.auditor, { id: unknown }), "GET /maintenance-windows/{id}", 404);

    // Ending early needs an active window: the scheduled one's start moved into the past (database clock), then the worker's tick.
    await conforms(await post("maintenance-windows/[id]/end", `${path}/end`, tokens.operator, p, { reason: "Done sooner" }), "POST /maintenance-windows/{id}/end", 409);
    await t.db.update(maintenanceWindows).set({ nextStartAt: new Date(Date.now() - 60_000) }).where(eq(maintenanceWindows.id, created.id));
    await runWindows(t.db, { ratePerSecond: 1000 });
    await conforms(await put("maintenance-windows/[id]", path, tokens.operator, p, once), "PUT /maintenance-windows/{id}", 409);
    await conforms(await post("maintenance-windows/[id]/end", `${path}/end`, tokens.approver, p, { reason: "x" }), "POST /maintenance-windows/{id}/end", 403);
    await conforms(await post("maintenance-windows/[id]/end", `${path}/end`, tokens.operator, p, {}), "POST /maintenance-windows/{id}/end", 400);
    const ended = await conforms<{ state: string }>(await post("maintenance-windows/[id]/end", `${path}/end`, tokens.operator, p, { reason: "Done sooner" }), "POST /maintenance-windows/{id}/end", 200);
    expect(ended.state).toBe("done");
    await conforms(await post("maintenance-windows/[id]/end", `/api/v1/maintenance-windows/${unknown}/end`, tokens.operator, { id: unknown }, { reason: "x" }), "POST /maintenance-windows/{id}/end", 404);

    const n = { id: nightly.id };
    await conforms(await post("maintenance-windows/[id]/cancel", `/api/v1/maintenance-windows/${nightly.id}/cancel`, tokens.auditor, n, { reason: "x" }), "POST /maintenance-windows/{id}/cancel", 403);
    await conforms(await post("maintenance-windows/[id]/cancel", `/api/v1/maintenance-windows/${nightly.id}/cancel`, tokens.operator, n, { reason: "" }), "POST /maintenance-windows/{id}/cancel", 400);
    const cancelled = await conforms<{ state: string }>(await post("maintenance-windows/[id]/cancel", `/api/v1/maintenance-windows/${nightly.id}/cancel`, tokens.operator, n, { reason: "Backups moved to the replica" }), "POST /maintenance-windows/{id}/cancel", 200);
    expect(cancelled.state).toBe("cancelled");
    await conforms(await post("maintenance-windows/[id]/cancel", `/api/v1/maintenance-windows/${nightly.id}/cancel`, tokens.operator, n, { reason: "again" }), "POST /maintenance-windows/{id}/cancel", 409);
    await conforms(await post("maintenance-windows/[id]/cancel", `/api/v1/maintenance-windows/${unknown}/cancel`, tokens.operator, { id: unknown }, { reason: "x" }), "POST /maintenance-windows/{id}/cancel", 404);

    const k = { key: def.key };
    const policyPath = `/api/v1/workflows/${def.key}/start-policy`;
    const policy = await conforms<{ policy: string; queueTtlSeconds: number | null }>(await post("workflows/[key]/start-policy", policyPath, tokens.operator, k, { policy: "queue", queueTtlSeconds: 3600, reason: "Hold starts during upgrades" }), "POST /workflows/{key}/start-policy", 200);
    expect(policy).toMatchObject({ policy: "queue", queueTtlSeconds: 3600 });
    await conforms(await post("workflows/[key]/start-policy", policyPath, tokens.approver, k, { policy: "refuse" }), "POST /workflows/{key}/start-policy", 403);
    await conforms(await post("workflows/[key]/start-policy", policyPath, tokens.operator, k, { policy: "drop" }), "POST /workflows/{key}/start-policy", 400);
  });
});

describe("instances: answers match the document", () => {
  it("list, counts and one instance with running steps, gates and history", async () => {
    const { instance } = await createGatedInstance(t.db, { stage: "staging" });
    await createInstance(t.db, { runningSteps: ["a"] });
    const page = await conforms<{ items: unknown[] }>(await get("instances", "/api/v1/instances?limit=2", tokens.auditor), "GET /instances", 200);
    expect(page.items).toHaveLength(2);
    await conforms(await get("instances/counts", "/api/v1/instances/counts", tokens.auditor), "GET /instances/counts", 200);
    const detail = await conforms<{ gates: unknown[]; history: unknown[] }>(await get("instances/[id]", `/api/v1/instances/${instance.id}`, tokens.auditor, { id: instance.id }), "GET /instances/{id}", 200);
    expect(detail.gates).toHaveLength(1);
    expect(detail.history.length).toBeGreaterThan(0);
  });

  it("pause, resume and cancel, their refusals (400, 401, 403, 404, 409), and the bulk commands", async () => {
    const inst = await createInstance(t.db);
    const path = (verb: string) => `/api/v1/instances/${inst.id}/${verb}`;
    const p = { id: inst.id };
    const paused = await conforms<{ status: string }>(await post("instances/[id]/pause", path("pause"), tokens.operator, p, { reason: "Maintenance", mode: "immediate", category: "maintenance", ticketUrl: "https://tracker.example.com/OPS-1" }), "POST /instances/{id}/pause", 200);
    expect(paused.status).toBe("paused");
    await conforms(await post("instances/[id]/pause", path("pause"), tokens.operator, p, { reason: "again" }), "POST /instances/{id}/pause", 409);
    await conforms(await post("instances/[id]/pause", path("pause"), tokens.auditor, p, { reason: "x" }), "POST /instances/{id}/pause", 403);
    await conforms(await post("instances/[id]/pause", path("pause"), undefined, p, { reason: "x" }), "POST /instances/{id}/pause", 401);
    await conforms(await post("instances/[id]/pause", "/api/v1/instances/nope/pause", tokens.operator, { id: "nope" }, { reason: "x" }), "POST /instances/{id}/pause", 404);
    const invalid = await conforms<{ error: { fields: Record<string, string[]> } }>(await post("instances/[id]/resume", path("resume"), tokens.operator, p, { force: true }), "POST /instances/{id}/resume", 400);
    expect(invalid.error.fields.reason).toBeDefined();
    await conforms(await post("instances/[id]/resume", path("resume"), tokens.operator, p, { reason: "done" }), "POST /instances/{id}/resume", 200);
    await conforms(await post("instances/[id]/cancel", path("cancel"), tokens.operator, p, { reason: "not needed" }), "POST /instances/{id}/cancel", 200);

    const other = await createInstance(t.db);
    const bulk = await conforms<{ failed: number }>(await post("instances/bulk/pause", "/api/v1/instances/bulk/pause", tokens.operator, {}, { instanceIds: [other.id, inst.id], reason: "bulk" }), "POST /instances/bulk/pause", 200);
    expect(bulk.failed).toBe(1);
    await conforms(await post("instances/bulk/resume", "/api/v1/instances/bulk/resume", tokens.operator, {}, { instanceIds: [other.id] }), "POST /instances/bulk/resume", 200);
  });

  it("retry of a failed instance, with its step runs' output and logs in the detail, and its refusals (400, 403, 409)", async () => {
    const inst = await createFailedInstance(t.db);
    await t.db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "b", status: "completed", output: { rows: [1, 2] }, startedAt: new Date(), finishedAt: new Date() });
    const [run] = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "a")));
    await t.db.insert(stepRunLogs).values({ runId: run!.id, instanceId: inst.id, lines: [{ at: new Date().toISOString(), level: "warn", msg: "slow upstream", fields: '{"ms":900}' }] });
    const p = { id: inst.id };
    const path = `/api/v1/instances/${inst.id}/retry`;
    const detail = await conforms<{ steps: { runs: { logs: unknown[] }[] }[] }>(await get("instances/[id]", `/api/v1/instances/${inst.id}`, tokens.auditor, p), "GET /instances/{id}", 200);
    expect(detail.steps[0]!.runs[0]!.logs).toHaveLength(1);
    await conforms(await post("instances/[id]/retry", path, tokens.operator, p, { reason: "" }), "POST /instances/{id}/retry", 400);
    await conforms(await post("instances/[id]/retry", path, tokens.auditor, p, { reason: "x" }), "POST /instances/{id}/retry", 403);
    const retried = await conforms<{ status: string }>(await post("instances/[id]/retry", path, tokens.operator, p, { reason: "Upstream is back", category: "incident" }), "POST /instances/{id}/retry", 200);
    expect(retried.status).toBe("running");
    await conforms(await post("instances/[id]/retry", path, tokens.operator, p, { reason: "again" }), "POST /instances/{id}/retry", 409);
  });

  it("a body over 64 KB (413) and a cookie write that is not JSON (415)", async () => {
    const inst = await createInstance(t.db);
    const pause = await route("instances/[id]/pause", "POST");
    const big = await pause(apiRequest(`/api/v1/instances/${inst.id}/pause`, { method: "POST", token: tokens.operator, rawBody: JSON.stringify({ reason: "x".repeat(70_000) }) }), params({ id: inst.id }) as { params: Promise<never> });
    await conforms(big, "POST /instances/{id}/pause", 413);
    await createUser(t.db, "operator", { email: "openapi-cookie@test.dev", passwordHash: await hashPassword("correct horse") });
    const session = await signIn(t.db, "openapi-cookie@test.dev", "correct horse");
    const form = new Request(`http://flowgate.test/api/v1/instances/${inst.id}/pause`, { method: "POST", headers: { cookie: `${SESSION_COOKIE}=${session.token}`, "content-type": "text/plain" }, body: "{}" });
    const refused = await pause(form, params({ id: inst.id }) as { params: Promise<never> });
    await conforms(refused, "POST /instances/{id}/pause", 415);
  });

  it("start an instance (201) and an unknown workflow (404)", async () => {
    await conforms(await post("instances", "/api/v1/instances", tokens.operator, {}, { workflow: "deploy-pipeline", input: { service: "billing" } }), "POST /instances", 201);
    await conforms(await post("instances", "/api/v1/instances", tokens.operator, {}, { workflow: "no-such-flow" }), "POST /instances", 404);
  });
});

describe("workflows, gates, history and accounts: answers match the document", () => {
  it("workflows: list, pause, resume and the pause log (JSON and CSV)", async () => {
    await conforms(await get("workflows", "/api/v1/workflows", tokens.auditor), "GET /workflows", 200);
    const key = { key: "nightly-etl" };
    await conforms(await post("workflows/[key]/pause", "/api/v1/workflows/nightly-etl/pause", tokens.operator, key, { reason: "freeze" }), "POST /workflows/{key}/pause", 200);
    await conforms(await get("workflows", "/api/v1/workflows", tokens.auditor), "GET /workflows", 200);
    await conforms(await post("workflows/[key]/pause", "/api/v1/workflows/nightly-etl/pause", tokens.operator, key, { reason: "again" }), "POST /workflows/{key}/pause", 409);
    await conforms(await post("workflows/[key]/resume", "/api/v1/workflows/nightly-etl/resume", tokens.operator, key, {}), "POST /workflows/{key}/resume", 200);
    await conforms(await get("workflow-pauses", "/api/v1/workflow-pauses", tokens.auditor), "GET /workflow-pauses", 200);
    await conforms(await get("workflow-pauses", "/api/v1/workflow-pauses?format=csv", tokens.auditor), "GET /workflow-pauses", 200);
  });

  it("gates: list, approve, reject", async () => {
    const one = await createGatedInstance(t.db, { stage: "staging" });
    const two = await createGatedInstance(t.db, { stage: "production" });
    const list = await conforms<{ items: unknown[] }>(await get("gates", "/api/v1/gates?status=pending", tokens.auditor), "GET /gates", 200);
    expect(list.items.length).toBeGreaterThanOrEqual(2);
    await conforms(await post("gates/[id]/approve", `/api/v1/gates/${one.gate.id}/approve`, tokens.approver, { id: one.gate.id }, { comment: "ship it" }), "POST /gates/{id}/approve", 200);
    await conforms(await post("gates/[id]/reject", `/api/v1/gates/${two.gate.id}/reject`, tokens.approver, { id: two.gate.id }, { comment: "not now", category: "incident" }), "POST /gates/{id}/reject", 200);
    await conforms(await post("gates/[id]/approve", `/api/v1/gates/${two.gate.id}/approve`, tokens.approver, { id: two.gate.id }, {}), "POST /gates/{id}/approve", 409);
    await conforms(await get("gates", "/api/v1/gates?status=approved", tokens.auditor), "GET /gates", 200);
    // A gate with a form, options and a percent quorum: its columns and the decision's values are in the document too.
    const form = { type: "object" as const, properties: { region: { type: "string" as const, enum: ["eu", "us"] }, batch: { type: "integer" as const, default: 2 } }, required: ["region"], order: ["region", "batch"] };
    const three = await createGatedInstance(t.db, { stage: "form", mode: "percent", percent: 50, form, options: [{ name: "go", next: "c" }], onExpiry: { step: "c" }, expiresAfterMs: 3_600_000 });
    const bad = await conforms<{ error: { fields: Record<string, string[]> } }>(await post("gates/[id]/approve", `/api/v1/gates/${three.gate.id}/approve`, tokens.approver, { id: three.gate.id }, { option: "go", values: { region: "mars" } }), "POST /gates/{id}/approve", 400);
    expect(bad.error.fields["values.region"]).toBeDefined();
    await conforms(await post("gates/[id]/approve", `/api/v1/gates/${three.gate.id}/approve`, tokens.approver, { id: three.gate.id }, { option: "go", values: { region: "eu" } }), "POST /gates/{id}/approve", 200);
    await conforms(await get("gates", "/api/v1/gates", tokens.auditor), "GET /gates", 200);
  });

  it("history: a page, a bad filter (400) and the export", async () => {
    const page = await conforms<{ items: unknown[] }>(await get("history", "/api/v1/history?limit=50", tokens.auditor), "GET /history", 200);
    expect(page.items.length).toBeGreaterThan(0);
    const bad = await conforms<{ error: { fields: Record<string, string[]> } }>(await get("history", "/api/v1/history?from=2027-02-30", tokens.auditor), "GET /history", 400);
    expect(bad.error.fields.from).toBeDefined();
    await conforms(await get("history/export", "/api/v1/history/export?format=csv", tokens.auditor), "GET /history/export", 200);
    await conforms(await get("history/export", "/api/v1/history/export?format=ndjson", tokens.auditor), "GET /history/export", 200);
  });

  it("accounts: me, users, tokens, deactivation, reset links and the access log", async () => {
    await conforms(await get("me", "/api/v1/me", tokens.approver), "GET /me", 200);
    await conforms(await get("users", "/api/v1/users", tokens.admin), "GET /users", 200);
    await conforms(await get("users", "/api/v1/users", tokens.auditor), "GET /users", 403);
    const me = { id: ids.operator };
    const issued = await conforms<{ id: string }>(await post("users/[id]/tokens", `/api/v1/users/${ids.operator}/tokens`, tokens.operator, me, { name: "cli", expiresInDays: 30 }), "POST /users/{id}/tokens", 201);
    await conforms(await get("users/[id]/tokens", `/api/v1/users/${ids.operator}/tokens`, tokens.operator, me), "GET /users/{id}/tokens", 200);
    await conforms(await post("tokens/[id]/revoke", `/api/v1/tokens/${issued.id}/revoke`, tokens.operator, { id: issued.id }, { reason: "rotated" }), "POST /tokens/{id}/revoke", 200);
    await conforms(await post("tokens/[id]/revoke", `/api/v1/tokens/${issued.id}/revoke`, tokens.operator, { id: issued.id }, {}), "POST /tokens/{id}/revoke", 409);
    const subject = await createUser(t.db, "auditor");
    const s = { id: subject.id };
    await conforms(await post("users/[id]/deactivate", `/api/v1/users/${subject.id}/deactivate`, tokens.admin, s, { reason: "left the team" }), "POST /users/{id}/deactivate", 200);
    await conforms(await post("users/[id]/reactivate", `/api/v1/users/${subject.id}/reactivate`, tokens.admin, s), "POST /users/{id}/reactivate", 200);
    await conforms(await post("users/[id]/reactivate", `/api/v1/users/${subject.id}/reactivate`, tokens.admin, s), "POST /users/{id}/reactivate", 409);
    await conforms(await post("users/[id]/password-reset", `/api/v1/users/${subject.id}/password-reset`, tokens.admin, s), "POST /users/{id}/password-reset", 201);
    await conforms(await get("access-changes", "/api/v1/access-changes", tokens.auditor), "GET /access-changes", 200);
    await conforms(await get("access-changes", "/api/v1/access-changes?format=csv", tokens.admin), "GET /access-changes", 200);
  });

  it("the document itself is served, and is the one the tests check against", async () => {
    const served = await conforms(await get("openapi.json", "/api/v1/openapi.json", tokens.auditor), "GET /openapi.json", 200);
    expect(served).toEqual(JSON.parse(JSON.stringify(document)));
    expect(served.openapi).toBe("3.1.0");
    await conforms(await get("openapi.json", "/api/v1/openapi.json", undefined), "GET /openapi.json", 401);
  });
});
