import { and, eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { accessChanges, apiTokens, bulkOperations, gateDecisions, gateDelegations, history, instances, maintenanceWindowLog, maintenanceWindows, users, workflowHoldLog, workflowHolds, workflowStartPolicies, type HistoryAction } from "@/db/schema";
import { windowFilterSchema } from "@/lib/maintenance/inputs";
import { createWindow } from "@/lib/maintenance/windows";
import { catalog } from "@/workflows/catalog";
import { registerDefinitions } from "@/lib/workflows/registry";
import { verifyChains } from "@/lib/audit/verify-chain";
import { createApiToken } from "@/lib/auth/sessions";
import { encodeCursor } from "@/lib/cursor";
import { isBlank, normaliseText } from "@/lib/text";
import type { GateForm } from "@/lib/domain";
import { formValuesSchema } from "@/lib/gates/form";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createDefinition, createFailedInstance, createGatedInstance, createInstance, createUser } from "../support/factories";

// Issue 10 §1, as a property over every /api/v1 route: whatever arrives (any unicode, control
// characters, unpaired surrogates, wrong types, unknown fields, malformed JSON, oversize bodies,
// malformed ids and cursors), the answer is a 4xx whose error names the field, or a success whose
// stored value reads back equal to the normalised input; never a 500, never a partial write, and
// the audit chain verifies afterwards. Runs are bounded (RUNS per route) to stay quick on 2 cores.

const RUNS = 100;
const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
await registerDefinitions(t.db, catalog);
const routes = {
  start: (await import("@/app/api/v1/instances/route")).POST,
  list: (await import("@/app/api/v1/instances/route")).GET,
  detail: (await import("@/app/api/v1/instances/[id]/route")).GET,
  pause: (await import("@/app/api/v1/instances/[id]/pause/route")).POST,
  resume: (await import("@/app/api/v1/instances/[id]/resume/route")).POST,
  cancel: (await import("@/app/api/v1/instances/[id]/cancel/route")).POST,
  retry: (await import("@/app/api/v1/instances/[id]/retry/route")).POST,
  bulkPause: (await import("@/app/api/v1/instances/bulk/pause/route")).POST,
  bulkResume: (await import("@/app/api/v1/instances/bulk/resume/route")).POST,
  cancelBulk: (await import("@/app/api/v1/bulk-operations/[id]/cancel/route")).POST,
  approve: (await import("@/app/api/v1/gates/[id]/approve/route")).POST,
  reject: (await import("@/app/api/v1/gates/[id]/reject/route")).POST,
  delegate: (await import("@/app/api/v1/gates/[id]/delegate/route")).POST,
  gates: (await import("@/app/api/v1/gates/route")).GET,
  hold: (await import("@/app/api/v1/workflows/[key]/pause/route")).POST,
  release: (await import("@/app/api/v1/workflows/[key]/resume/route")).POST,
  startPolicy: (await import("@/app/api/v1/workflows/[key]/start-policy/route")).POST,
  createWindow: (await import("@/app/api/v1/maintenance-windows/route")).POST,
  endWindow: (await import("@/app/api/v1/maintenance-windows/[id]/end/route")).POST,
  cancelWindow: (await import("@/app/api/v1/maintenance-windows/[id]/cancel/route")).POST,
  history: (await import("@/app/api/v1/history/route")).GET,
  issueToken: (await import("@/app/api/v1/users/[id]/tokens/route")).POST,
  revokeToken: (await import("@/app/api/v1/tokens/[id]/revoke/route")).POST,
  deactivate: (await import("@/app/api/v1/users/[id]/deactivate/route")).POST,
  reactivate: (await import("@/app/api/v1/users/[id]/reactivate/route")).POST,
  passwordReset: (await import("@/app/api/v1/users/[id]/password-reset/route")).POST,
  exportHistory: (await import("@/app/api/v1/history/export/route")).GET,
};
type Route = (request: Request, context: { params: Promise<never> }) => Promise<Response>;

let token = "";
const delegateTo = "delegate@props.test";
beforeAll(async () => {
  token = await createApiToken(t.db, (await createUser(t.db, "admin", { email: "admin@props.test" })).id, "props");
  await createUser(t.db, "approver", { email: delegateTo });
});
afterAll(async () => {
  // Whatever the runs did, every chain still verifies: no accepted input was stored differently from how it was hashed.
  expect((await verifyChains(t.sql)).ok).toBe(true);
});

// ---- arbitraries ---------------------------------------------------------------------------

const tricky = fc.constantFrom(
  "\u0000", "a\u0000b", "x \ud800 y", "\udc00", "\ud83d", "\u200b\u200b\u2060", "\ufeff", " \t\n ", "", "\u0007bell", "a\u2028b", "\u202eevil",
  "😀".repeat(500), "😀".repeat(501), "e\u0301".repeat(300), "a".repeat(501), "'; drop table history; --", "%_\\", "=cmd|' /C calc'!A0", "ok reason",
);
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 490, maxLength: 520 }) },
  { weight: 3, arbitrary: tricky },
);
const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.object({ maxDepth: 2 }));
const anyValue = fc.oneof({ weight: 5, arbitrary: text }, { weight: 1, arbitrary: wrongType });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const unknownFields = fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== "__proto__"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
/** A body: mostly JSON objects made of `fields`, sometimes raw text that is not a JSON object, or too big. */
const body = (fields: fc.Arbitrary<Record<string, unknown>>) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.tuple(unknownFields, fields).map(([extra, f]) => ({ raw: JSON.stringify({ ...extra, ...dropUndefined(f) }), sent: dropUndefined(f) })) },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom("[]", "null", "1", '"x"', "{", '{"reason":', "\u0000")).map((raw) => ({ raw, sent: raw.trim() ? undefined : {} })) },
    { weight: 1, arbitrary: fc.constantFrom(`{"reason":"x","pad":"${"a".repeat(70_000)}"}`, `{"reason":${"[".repeat(5000)}${"]".repeat(5000)}}`).map((raw) => ({ raw, sent: undefined })) },
  );
const anyId = fc.oneof(fc.uuid(), text, fc.constant("not-a-uuid"));
const cursor = fc.oneof(text, fc.jsonValue({ maxDepth: 2 }).map(encodeCursor), fc.tuple(fc.string(), fc.integer()).map(encodeCursor), fc.constant(encodeCursor(["2026-01-01T00:00:00.000Z", 9e18])));

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

// ---- checks --------------------------------------------------------------------------------

type ErrorBody = { error?: { code: string; message: string; fields?: Record<string, string[]> } };
const tally: Record<string, Record<number, number>> = {};

/**
 * The property's first half: never a 5xx; a 4xx carries a message, and a 400 about a field
 * names it among `fields` (errors about the body as a whole say "body"). Returns the JSON.
 */
async function answered(name: string, response: Response): Promise<unknown> {
  const raw = await response.text();
  ((tally[name] ??= {})[response.status] ??= 0), tally[name]![response.status]!++;
  expect(response.status, `${name} answered ${response.status}: ${raw.slice(0, 300)}`).toBeLessThan(500);
  if (response.status >= 400) {
    const error = (JSON.parse(raw) as ErrorBody).error;
    expect(error?.message, raw).toBeTruthy();
    if (response.status === 400 && !/body|cursor/i.test(error!.message)) expect(Object.keys(error!.fields ?? {}).length, raw).toBeGreaterThan(0);
    return undefined;
  }
  // Exactly JSON: an NDJSON export (application/x-ndjson) is many documents, kept as text.
  return response.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(raw) : raw;
}

const send = (route: Route, path: string, p: Record<string, string>, raw: string) =>
  route(apiRequest(path, { method: "POST", token, rawBody: raw }), params(p) as { params: Promise<never> });
const read = (route: Route, path: string, p: Record<string, string> = {}) => route(apiRequest(path, { token }), params(p) as { params: Promise<never> });
/** What the server stores for an optional text: the normalised string, or nothing when blank. */
const stored = (value: unknown) => (typeof value === "string" && !isBlank(normaliseText(value)) ? normaliseText(value) : null);
const historyRows = (instanceId: string) => t.db.select().from(history).where(eq(history.instanceId, instanceId));
const historyReason = async (instanceId: string, action: HistoryAction) =>
  (await t.db.select({ reason: history.reason }).from(history).where(and(eq(history.instanceId, instanceId), eq(history.action, action))))[0]?.reason ?? null;
const statusOf = async (id: string) => (await t.db.select({ status: instances.status }).from(instances).where(eq(instances.id, id)))[0]!.status;

/**
 * One route's property: a fresh target, a call, and what a success or a refusal must leave behind.
 * `valid` is a body the route accepts, always tried first: random bodies are nearly all refused,
 * and a run that by chance saw no success would check only one half of the property.
 */
async function writeProperty<F extends Record<string, unknown>>(fields: fc.Arbitrary<F>, valid: Record<string, unknown>, run: (input: { raw: string; sent: Record<string, unknown> | undefined }) => Promise<void>) {
  await fc.assert(fc.asyncProperty(body(fields), run), { numRuns: RUNS, examples: [[{ raw: JSON.stringify(valid), sent: valid }]] });
}

const reasonFields = { reason: maybe(anyValue), category: maybe(fc.oneof(fc.constantFrom("maintenance", "incident"), anyValue)), ticketUrl: maybe(fc.oneof(fc.constant("https://t.example/OPS-1"), anyValue)) };

describe("every write route: a 4xx naming the field, or a success that reads back equal; never a 500 or a partial write", () => {
  it("POST /instances/{id}/pause", async () => {
    await writeProperty(fc.record({ ...reasonFields, mode: maybe(fc.oneof(fc.constantFrom("graceful", "immediate"), anyValue)), resumeAt: maybe(fc.oneof(fc.date().map((d) => (Number.isNaN(d.getTime()) ? "x" : d.toISOString())), anyValue)), expectedVersion: maybe(fc.oneof(fc.constant(1), anyValue)) }), { reason: "Maintenance window", mode: "graceful" }, async ({ raw, sent }) => {
      const inst = await createInstance(t.db);
      const out = await answered("pause", await send(routes.pause, `/api/v1/instances/${inst.id}/pause`, { id: inst.id }, raw));
      if (out) {
        expect((await historyReason(inst.id, "paused")) ?? null).toBe(stored(sent!.reason));
        expect((out as { pauseReason: string }).pauseReason).toBe(stored(sent!.reason));
      } else {
        expect(await historyRows(inst.id)).toHaveLength(1);
        expect(await statusOf(inst.id)).toBe("running");
      }
    });
  });

  it("POST /instances/{id}/resume", async () => {
    await writeProperty(fc.record({ ...reasonFields, force: maybe(fc.oneof(fc.boolean(), anyValue)) }), { reason: "Window over" }, async ({ raw, sent }) => {
      const inst = await createInstance(t.db, { status: "paused" });
      const out = await answered("resume", await send(routes.resume, `/api/v1/instances/${inst.id}/resume`, { id: inst.id }, raw));
      if (out) {
        const action = sent!.force === true ? "force_resumed" : "resumed";
        expect(await historyReason(inst.id, action)).toBe(stored(sent!.reason));
      } else {
        expect(await historyRows(inst.id)).toHaveLength(1);
        expect(await statusOf(inst.id)).toBe("paused");
      }
    });
  });

  it("POST /instances/{id}/cancel", async () => {
    await writeProperty(fc.record({ reason: maybe(anyValue) }), { reason: "Superseded" }, async ({ raw, sent }) => {
      const inst = await createInstance(t.db);
      const out = await answered("cancel", await send(routes.cancel, `/api/v1/instances/${inst.id}/cancel`, { id: inst.id }, raw));
      if (out) expect(await historyReason(inst.id, "cancelled")).toBe(stored(sent!.reason));
      else expect(await historyRows(inst.id)).toHaveLength(1);
    });
  });

  it("POST /instances/{id}/retry", async () => {
    await writeProperty(fc.record({ ...reasonFields, expectedVersion: maybe(fc.oneof(fc.constant(1), anyValue)) }), { reason: "Upstream is back", category: "incident" }, async ({ raw, sent }) => {
      const inst = await createFailedInstance(t.db);
      const out = await answered("retry", await send(routes.retry, `/api/v1/instances/${inst.id}/retry`, { id: inst.id }, raw));
      if (out) {
        expect(await historyReason(inst.id, "retried")).toBe(stored(sent!.reason));
        expect(await statusOf(inst.id)).toBe("running");
      } else {
        expect(await historyRows(inst.id)).toHaveLength(1);
        expect(await statusOf(inst.id)).toBe("failed");
      }
    });
  });

  it("POST /instances/bulk/pause and bulk/resume", async () => {
    for (const [verb, from, action] of [["pause", "running", "paused"], ["resume", "paused", "resumed"]] as const) {
      await writeProperty(fc.record({ ...reasonFields, ids: fc.array(anyId, { maxLength: 3 }), listShape: fc.oneof(fc.constant("list"), anyValue) }), { reason: "Window", ids: [], listShape: "list" }, async ({ raw, sent }) => {
        const inst = await createInstance(t.db, { status: from });
        // The real instance joins whatever ids were generated, unless the list itself is the wrong type.
        const shaped = sent && sent.listShape === "list" ? { ...JSON.parse(raw), instanceIds: [inst.id, ...(sent.ids as unknown[])] } : undefined;
        const route = verb === "pause" ? routes.bulkPause : routes.bulkResume;
        const out = await answered(`bulk ${verb}`, await send(route, `/api/v1/instances/bulk/${verb}`, {}, shaped ? JSON.stringify(shaped) : raw));
        const mine = (out as { results?: { instanceId: string; ok: boolean }[] } | undefined)?.results?.find((r) => r.instanceId === inst.id);
        if (mine?.ok) expect(await historyReason(inst.id, action)).toBe(stored(sent!.reason));
        else expect(await historyRows(inst.id)).toHaveLength(1);
      });
    }
  });

  it("POST /instances/bulk/pause and bulk/resume by filter, and POST /bulk-operations/{id}/cancel", async () => {
    const operations = async () => (await t.db.select({ id: bulkOperations.id }).from(bulkOperations)).length;
    for (const [verb, from] of [["pause", "running"], ["resume", "paused"]] as const) {
      const filterShape = fc.record({ status: maybe(fc.oneof(fc.constantFrom(from, "all"), anyValue)), workflow: maybe(fc.oneof(fc.constant("mine"), anyValue)), q: maybe(anyValue) });
      await writeProperty(fc.record({ ...reasonFields, mode: maybe(fc.oneof(fc.constantFrom("graceful", "immediate"), anyValue)), filter: fc.oneof({ weight: 5, arbitrary: filterShape }, { weight: 1, arbitrary: anyValue }) }), { reason: "Window", filter: { status: from, workflow: "mine" } }, async ({ raw, sent }) => {
        const inst = await createInstance(t.db, { status: from });
        // "mine" stands for the new instance's workflow, so that a valid filter matches something.
        const body = sent && typeof sent.filter === "object" && sent.filter !== null && (sent.filter as { workflow?: unknown }).workflow === "mine" ? JSON.stringify({ ...JSON.parse(raw), filter: { ...(sent.filter as object), workflow: inst.workflowKey } }) : raw;
        const before = await operations();
        const route = verb === "pause" ? routes.bulkPause : routes.bulkResume;
        const out = (await answered(`bulk ${verb} by filter`, await send(route, `/api/v1/instances/bulk/${verb}`, {}, body))) as { id?: string; reason?: string | null } | undefined;
        if (out?.id) {
          const [row] = await t.db.select().from(bulkOperations).where(eq(bulkOperations.id, out.id));
          expect(row!.reason).toBe(stored(sent!.reason));
          // Leave nothing running for the next run to trip over.
          const cancel = await answered("cancel bulk", await send(routes.cancelBulk, `/api/v1/bulk-operations/${out.id}/cancel`, { id: out.id }, JSON.stringify({ reason: "done" })));
          expect(cancel).toMatchObject({ state: "cancelled" });
        } else if (!(out as { results?: unknown } | undefined)?.results) expect(await operations()).toBe(before);
      });
    }
    await writeProperty(fc.record({ reason: maybe(anyValue) }), { reason: "Wrong filter" }, async ({ raw, sent }) => {
      const inst = await createInstance(t.db);
      const started = (await answered("bulk pause by filter", await send(routes.bulkPause, "/api/v1/instances/bulk/pause", {}, JSON.stringify({ reason: "x", filter: { status: "running", workflow: inst.workflowKey } })))) as { id: string };
      const out = (await answered("cancel bulk", await send(routes.cancelBulk, `/api/v1/bulk-operations/${started.id}/cancel`, { id: started.id }, raw))) as { state: string } | undefined;
      const [row] = await t.db.select().from(bulkOperations).where(eq(bulkOperations.id, started.id));
      if (out) expect(row).toMatchObject({ state: "cancelled", cancelReason: stored(sent!.reason) });
      else expect(row).toMatchObject({ state: "running", cancelReason: null });
    });
  });

  it("POST /instances (start)", async () => {
    const workflow = fc.oneof(fc.constantFrom("deploy-pipeline", "nightly-etl"), anyValue);
    await writeProperty(fc.record({ workflow, input: maybe(fc.oneof(fc.record({ service: anyValue, ref: maybe(anyValue) }), fc.jsonValue({ maxDepth: 3 }))) }), { workflow: "deploy-pipeline", input: { service: "checkout-api" } }, async ({ raw }) => {
      const before = (await t.db.select({ id: instances.id }).from(instances)).length;
      const out = (await answered("start", await send(routes.start, "/api/v1/instances", {}, raw))) as { id: string; input: unknown } | undefined;
      if (out) {
        const [row] = await t.db.select().from(instances).where(eq(instances.id, out.id));
        expect(row!.input).toEqual(out.input);
      } else expect((await t.db.select({ id: instances.id }).from(instances)).length).toBe(before);
    });
  });

  it("POST /gates/{id}/approve, reject and delegate", async () => {
    for (const verb of ["approve", "reject", "delegate"] as const) {
      const fields = verb === "delegate" ? fc.record({ to: fc.oneof(fc.constant(delegateTo), anyValue), reason: maybe(anyValue) }) : fc.record({ comment: maybe(anyValue), category: reasonFields.category, ticketUrl: reasonFields.ticketUrl });
      await writeProperty(fields as fc.Arbitrary<Record<string, unknown>>, verb === "delegate" ? { to: delegateTo, reason: "On leave" } : { comment: "Checked" }, async ({ raw, sent }) => {
        const { gate, instance } = await createGatedInstance(t.db, { stage: "props" });
        const rowsBefore = (await historyRows(instance.id)).length;
        const out = await answered(verb, await send(routes[verb], `/api/v1/gates/${gate.id}/${verb}`, { id: gate.id }, raw));
        if (out && verb === "delegate") {
          expect((await t.db.select().from(gateDelegations).where(eq(gateDelegations.gateId, gate.id)))[0]!.reason).toBe(stored(sent!.reason));
        } else if (out) {
          expect((await t.db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id)))[0]!.comment).toBe(stored(sent!.comment));
        } else {
          expect(await historyRows(instance.id)).toHaveLength(rowsBefore);
          expect(await t.db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id))).toHaveLength(0);
        }
      });
    }
  });

  it("POST /gates/{id}/approve with a form and options: the values read back as the form's schema parses them", async () => {
    const form: GateForm = {
      type: "object",
      properties: { region: { type: "string", enum: ["eu", "us"] }, batch: { type: "integer", minimum: 1, maximum: 10, default: 2 }, note: { type: "string", maxLength: 200 }, urgent: { type: "boolean", default: false } },
      required: ["region"],
    };
    const values = fc.oneof(
      fc.record({ region: fc.oneof(fc.constantFrom("eu", "us"), anyValue), batch: maybe(fc.oneof(fc.integer({ min: -2, max: 12 }), anyValue)), note: maybe(anyValue), urgent: maybe(fc.oneof(fc.boolean(), anyValue)) }).map(dropUndefined),
      anyValue,
    );
    const fields = fc.record({ option: maybe(fc.oneof(fc.constantFrom("ship", "hold"), anyValue)), values: maybe(values), comment: maybe(anyValue) });
    await writeProperty(fields as fc.Arbitrary<Record<string, unknown>>, { option: "ship", values: { region: "eu", note: "canary" } }, async ({ raw, sent }) => {
      const { gate, instance } = await createGatedInstance(t.db, { stage: "form props", form, options: [{ name: "ship", next: "c" }, { name: "hold", next: "d" }] });
      const rowsBefore = (await historyRows(instance.id)).length;
      const out = await answered("approve with form", await send(routes.approve, `/api/v1/gates/${gate.id}/approve`, { id: gate.id }, raw));
      const decisions = await t.db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id));
      if (out) {
        expect(decisions[0]!.option).toBe(sent!.option);
        expect(decisions[0]!.values).toEqual(formValuesSchema(form).parse(sent!.values ?? {}));
      } else {
        expect(await historyRows(instance.id)).toHaveLength(rowsBefore);
        expect(decisions).toHaveLength(0);
      }
    });
  });

  it("POST /workflows/{key}/pause and resume (any key in the path)", async () => {
    await writeProperty(fc.record({ reason: maybe(anyValue), key: fc.oneof(fc.constant("real"), anyId) }), { reason: "Freeze", key: "real" }, async ({ raw, sent }) => {
      const def = await createDefinition(t.db);
      const key = sent?.key === "real" || !sent ? def.key : String(sent.key);
      const held = await answered("hold", await send(routes.hold, `/api/v1/workflows/x/pause`, { key }, raw));
      const holds = await t.db.select().from(workflowHolds).where(eq(workflowHolds.workflowKey, def.key));
      if (held && key === def.key) expect(holds[0]!.reason).toBe(stored(sent!.reason));
      else expect(holds).toHaveLength(0);
      await answered("release", await send(routes.release, `/api/v1/workflows/x/resume`, { key }, raw));
    });
  });
});

describe("maintenance windows and start policies: a 4xx naming the field, or a success that reads back equal; never a 500 or a partial write", () => {
  const hour = 3_600_000;
  const when = fc.oneof(fc.constant("soon"), fc.constant("past"), anyValue);
  const at = (v: unknown, offsetMs: number) => (v === "soon" ? new Date(Date.now() + offsetMs).toISOString() : v === "past" ? "2001-01-01T00:00Z" : v);

  it("POST /maintenance-windows", async () => {
    const def = await createDefinition(t.db);
    const fields = fc.record({
      title: maybe(fc.oneof(fc.constant("Night"), anyValue)),
      workflowKeys: maybe(fc.oneof(fc.constant([def.key]), fc.array(anyValue, { maxLength: 2 }), anyValue)),
      reason: maybe(anyValue),
      category: maybe(fc.oneof(fc.constant("maintenance"), anyValue)),
      startsAt: maybe(when),
      endsAt: maybe(when),
      cron: maybe(fc.oneof(fc.constant("0 2 * * *"), anyValue)),
      timezone: maybe(fc.oneof(fc.constant("Europe/Berlin"), anyValue)),
      durationMinutes: maybe(fc.oneof(fc.constant(30), anyValue)),
      instanceFilter: maybe(fc.oneof(fc.constant({ input: "region=eu" }), fc.constant(null), fc.record({ input: maybe(fc.oneof(fc.constant("region=eu, tier=2"), anyValue)), q: maybe(anyValue) }), anyValue)),
    });
    const valid = { title: "Night", workflowKeys: [def.key], reason: "Backup", startsAt: "soon", endsAt: "soon", instanceFilter: { input: "region=eu" } };
    await writeProperty(fields, valid, async ({ raw, sent }) => {
      // Times as the arbitrary chose them: "soon" an hour and two ahead, "past" long ago.
      const body = sent && raw.startsWith("{") ? JSON.stringify({ ...JSON.parse(raw), startsAt: at(sent.startsAt, hour), endsAt: at(sent.endsAt, 2 * hour) }) : raw;
      const before = (await t.db.select().from(maintenanceWindows)).length;
      const out = (await answered("createWindow", await send(routes.createWindow, "/api/v1/maintenance-windows", {}, body))) as { id: string } | undefined;
      const after = await t.db.select().from(maintenanceWindows);
      if (!out) {
        expect(after.length).toBe(before);
        return;
      }
      const [row] = after.filter((w) => w.id === out.id);
      expect(row!.reason).toBe(stored(sent!.reason));
      expect(row!.title).toBe(stored(sent!.title));
      expect(row!.workflowKeys).toEqual([def.key]);
      // The filter reads back as the boundary's schema gives it (only the fields given), or null.
      expect(row!.instanceFilter).toEqual(sent!.instanceFilter == null ? null : windowFilterSchema.parse(sent!.instanceFilter));
      expect((await t.db.select().from(maintenanceWindowLog).where(eq(maintenanceWindowLog.windowId, out.id))).map((e) => e.action)).toEqual(["created"]);
    });
  });

  it("POST /maintenance-windows/{id}/end and cancel (any id in the path)", async () => {
    const def = await createDefinition(t.db);
    await writeProperty(fc.record({ reason: maybe(anyValue), id: fc.oneof(fc.constant("real"), anyId), verb: fc.constantFrom("endWindow", "cancelWindow") }), { reason: "Done", id: "real", verb: "cancelWindow" }, async ({ raw, sent }) => {
      const w = await createWindow(t.db, { title: "W", workflowKeys: [def.key], reason: "R", startsAt: new Date(Date.now() + hour).toISOString(), endsAt: new Date(Date.now() + 2 * hour).toISOString() }, { id: null, label: "props" });
      const id = sent?.id === "real" || !sent ? w.id : String(sent.id);
      const verb = (sent?.verb as "endWindow" | "cancelWindow" | undefined) ?? "cancelWindow";
      const out = await answered(verb, await send(routes[verb], `/api/v1/maintenance-windows/x/${verb === "endWindow" ? "end" : "cancel"}`, { id }, raw));
      const [row] = await t.db.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, w.id));
      // A scheduled window cannot be ended early (409); a cancel with a reason goes through and reads back.
      if (out && id === w.id) expect(row).toMatchObject({ state: "cancelled", cancelReason: stored(sent!.reason) });
      else expect(row!.state).toBe("scheduled");
    });
  });

  it("POST /workflows/{key}/start-policy", async () => {
    const fields = fc.record({ policy: maybe(fc.oneof(fc.constantFrom("refuse", "queue"), anyValue)), queueTtlSeconds: maybe(fc.oneof(fc.constantFrom(60, "3600", null), anyValue)), reason: maybe(anyValue) });
    await writeProperty(fields, { policy: "queue", queueTtlSeconds: 60 }, async ({ raw, sent }) => {
      const def = await createDefinition(t.db);
      const out = await answered("startPolicy", await send(routes.startPolicy, `/api/v1/workflows/x/start-policy`, { key: def.key }, raw));
      const rows = await t.db.select().from(workflowStartPolicies).where(eq(workflowStartPolicies.workflowKey, def.key));
      if (!out) {
        expect(rows).toHaveLength(0);
        return;
      }
      expect(rows[0]!.policy).toBe(sent!.policy);
      const logged = await t.db.select().from(workflowHoldLog).where(and(eq(workflowHoldLog.workflowKey, def.key), eq(workflowHoldLog.action, "policy_changed")));
      expect(logged).toHaveLength(1);
    });
  });
});

describe("account routes: a 4xx naming the field, or a success that reads back equal; never a 500 or a partial write", () => {
  const accessRows = async (subjectId: string) => t.db.select().from(accessChanges).where(eq(accessChanges.subjectId, subjectId));
  const lifetime = fc.oneof(fc.constantFrom("7", "30", "90", "365", "never", 7, 365), anyValue);

  it("POST /users/{id}/tokens", async () => {
    await writeProperty(fc.record({ name: maybe(anyValue), expiresInDays: maybe(lifetime) }), { name: "ci", expiresInDays: "30" }, async ({ raw, sent }) => {
      const owner = await createUser(t.db, "operator");
      const out = (await answered("issue token", await send(routes.issueToken, `/api/v1/users/${owner.id}/tokens`, { id: owner.id }, raw))) as { id: string; token: string } | undefined;
      const rows = await t.db.select().from(apiTokens).where(eq(apiTokens.userId, owner.id));
      if (out) {
        expect(rows.map((r) => r.name)).toEqual([stored(sent!.name)]);
        expect(out.token).toMatch(/^fgt_/);
        expect((await accessRows(owner.id)).map((r) => r.action)).toEqual(["token_issued"]);
      } else {
        expect(rows).toEqual([]);
        expect(await accessRows(owner.id)).toEqual([]);
      }
    });
  });

  it("POST /tokens/{id}/revoke", async () => {
    await writeProperty(fc.record({ reason: maybe(anyValue) }), { reason: "leaked" }, async ({ raw, sent }) => {
      const owner = await createUser(t.db, "operator");
      const minted = await createApiToken(t.db, owner.id, "target");
      const [row] = await t.db.select().from(apiTokens).where(eq(apiTokens.userId, owner.id));
      const out = await answered("revoke token", await send(routes.revokeToken, `/api/v1/tokens/${row!.id}/revoke`, { id: row!.id }, raw));
      const [after] = await t.db.select().from(apiTokens).where(eq(apiTokens.id, row!.id));
      const log = await accessRows(owner.id);
      if (out) {
        expect(after!.revokedAt).not.toBeNull();
        expect(log.map((r) => r.details.reason ?? null)).toEqual([stored(sent!.reason)]);
      } else {
        expect(after!.revokedAt).toBeNull();
        expect(log).toEqual([]);
      }
      expect(minted).toMatch(/^fgt_/);
    });
  });

  it("POST /users/{id}/deactivate, then reactivate", async () => {
    await writeProperty(fc.record({ reason: maybe(anyValue) }), { reason: "left the team" }, async ({ raw, sent }) => {
      const subject = await createUser(t.db, "operator");
      const out = await answered("deactivate", await send(routes.deactivate, `/api/v1/users/${subject.id}/deactivate`, { id: subject.id }, raw));
      const [after] = await t.db.select().from(users).where(eq(users.id, subject.id));
      if (out) {
        expect(after!.deactivationReason).toBe(stored(sent!.reason));
        await answered("reactivate", await send(routes.reactivate, `/api/v1/users/${subject.id}/reactivate`, { id: subject.id }, raw));
      } else {
        expect(after!.deactivatedAt).toBeNull();
        expect(await accessRows(subject.id)).toEqual([]);
      }
    });
  });

  it("any id in the path of the account routes: 404 or 400, never a 500", async () => {
    await fc.assert(
      fc.asyncProperty(anyId, fc.constantFrom("issueToken", "revokeToken", "deactivate", "reactivate", "passwordReset") , async (id, name) => {
        // The handler reads the id from its params, as Next hands them over; the path is decoration.
        const response = await send(routes[name], "/api/v1/x/id", { id }, JSON.stringify({ name: "n", reason: "r" }));
        await answered(name, response);
        expect(response.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("every read route and page query: any parameters give 200 or 4xx, never a 500", () => {
  const paramValue = maybe(fc.oneof(text, fc.constantFrom("-010000-01-01", "+275760-09-13", "2027-02-30", "2026-01-01", "0", "101", "all", "paused", "csv", "ndjson")));
  const query = (keys: string[]): fc.Arbitrary<string> => {
    const known = fc.record(Object.fromEntries(keys.map((k) => [k, paramValue]))) as fc.Arbitrary<Record<string, string | undefined>>;
    const extra = fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 });
    return fc.tuple(known, extra).map(([k, e]) => {
      const search = new URLSearchParams(e);
      for (const [name, v] of Object.entries(k)) if (v !== undefined) search.set(name, v);
      return search.toString();
    });
  };
  const historyKeys = ["instanceId", "actor", "action", "workflow", "category", "q", "from", "to", "cursor", "limit"];

  it.each([
    ["GET /instances", routes.list, "/api/v1/instances", ["status", "workflow", "q", "cursor", "limit"]],
    ["GET /gates", routes.gates, "/api/v1/gates", ["status", "cursor", "limit"]],
    ["GET /history", routes.history, "/api/v1/history", historyKeys],
    ["GET /history/export", routes.exportHistory, "/api/v1/history/export", [...historyKeys, "format"]],
  ] as const)("%s", async (name, route, path, keys) => {
    await createInstance(t.db);
    await fc.assert(
      fc.asyncProperty(query([...keys]), async (search) => {
        await answered(name, await read(route, `${path}?${search}`));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("cursors: arbitrary text and well-formed base64 of the wrong JSON are a 400 on cursor", async () => {
    await fc.assert(
      fc.asyncProperty(cursor, fc.constantFrom(["GET /instances", routes.list, "/api/v1/instances"] as const, ["GET /gates", routes.gates, "/api/v1/gates"] as const, ["GET /history", routes.history, "/api/v1/history"] as const), async (c, [name, route, path]) => {
        await answered(name, await read(route, `${path}?${new URLSearchParams({ cursor: c })}`));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("GET /instances/{id}: any id is a 404 or the instance", async () => {
    await fc.assert(fc.asyncProperty(anyId, async (id) => void (await answered("detail", await read(routes.detail, `/api/v1/instances/x`, { id })))), { numRuns: RUNS });
  });
});

describe("the properties are not vacuous", () => {
  it("each write route saw both successes and refusals", () => {
    for (const name of ["pause", "resume", "cancel", "retry", "bulk pause", "bulk resume", "bulk pause by filter", "bulk resume by filter", "cancel bulk", "start", "approve", "reject", "hold"]) {
      const statuses = Object.keys(tally[name] ?? {}).map(Number);
      expect(statuses.some((s) => s < 300), `${name}: ${JSON.stringify(tally[name])}`).toBe(true);
      expect(statuses.some((s) => s >= 400), `${name}: ${JSON.stringify(tally[name])}`).toBe(true);
    }
  });
});
