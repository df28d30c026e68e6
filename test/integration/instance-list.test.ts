import { inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { instances } from "@/db/schema";
import { instanceSorts, type InstanceSort } from "@/lib/instances/list-filter";
import { listInstances } from "@/lib/instances/queries";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createDefinition, createInstance, createUser } from "../support/factories";
import { createApiToken } from "@/lib/auth/sessions";

// Sorting, paging and search by input fields of the instance list (issue 12 §2), through the
// same `listInstances` the dashboard, the API and the CLI use.

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const { GET: listRoute } = await import("@/app/api/v1/instances/route");

// Two workflows; instances in several statuses; created_at with microseconds and ties on
// updated_at, the cases where a careless cursor skips or repeats rows.
const alpha = await createDefinition(t.db, { key: `alpha-${Date.now()}` });
const beta = await createDefinition(t.db, { key: `beta-${Date.now()}` });
const ids: string[] = [];
for (const [i, status] of (["running", "paused", "completed", "failed", "running", "cancelled", "timed_out", "waiting", "completed"] as const).entries()) {
  const def = i % 2 ? alpha : beta;
  const inst = await createInstance(t.db, { status, definitionId: def.id, workflowKey: def.key, input: { customer: i % 3 ? "acme" : "globex", amount: i, region: { name: i < 4 ? "eu" : "us" } } });
  ids.push(inst.id);
}
// Same updated_at for three rows (a bulk change), distinct created_at down to the microsecond.
await t.db.update(instances).set({ updatedAt: new Date("2026-01-01T00:00:00.000Z") }).where(inArray(instances.id, ids.slice(0, 3)));
// All nine starts inside one millisecond, microseconds apart, in an order unlike the ids'.
for (const [n, i] of [3, 0, 7, 1, 8, 2, 6, 4, 5].entries()) {
  await t.db.execute(sql`update instances set created_at = '2026-01-01T00:00:00.000100Z'::timestamptz + ${n} * interval '1 microsecond' where id = ${ids[i]}`);
}

/** Every row of the filter, page by page (`limit` rows a page), in the order the pages gave them. */
async function allPages(filter: { sort: InstanceSort; status?: "all" | "running" | "completed" }, limit = 2) {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listInstances(t.db, { status: "all", ...filter, limit, cursor });
    seen.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return seen.filter((id) => ids.includes(id));
}

/** The same rows, ordered in JavaScript by the sort's definition. */
async function expected(sort: InstanceSort) {
  const rows = await t.db.execute<{ id: string; workflow_key: string; status: string; s: number; u: string; c: string }>(
    sql`select id::text, workflow_key, status::text, array_position(enum_range(null::instance_status)::text[], status::text) as s,
        to_char(updated_at, 'YYYYMMDDHH24MISSUS') as u, to_char(created_at, 'YYYYMMDDHH24MISSUS') as c from instances where id in ${ids}`,
  );
  const byTimeThenId = (ta: string, tb: string, a: { id: string }, b: { id: string }) => (ta === tb ? (a.id < b.id ? 1 : -1) : ta < tb ? 1 : -1);
  return [...rows]
    .sort((a, b) => {
      if (sort === "workflow" && a.workflow_key !== b.workflow_key) return a.workflow_key < b.workflow_key ? -1 : 1;
      if (sort === "status" && a.s !== b.s) return a.s - b.s;
      return sort === "started" ? byTimeThenId(a.c, b.c, a, b) : byTimeThenId(a.u, b.u, a, b);
    })
    .map((r) => r.id);
}

describe("each sort pages through every row once, in its order", () => {
  it.each(instanceSorts)("%s", async (sort) => {
    expect(await allPages({ sort })).toEqual(await expected(sort));
  });
  it("within one status too", async () => {
    const completed = await allPages({ sort: "started", status: "completed" }, 1);
    expect(completed.sort()).toEqual([ids[2], ids[8]].sort());
  });
});

describe("search by input fields", () => {
  const search = async (input: string) => (await listInstances(t.db, { status: "all", input, limit: 100 })).items.map((i) => i.id).filter((id) => ids.includes(id));
  it("finds instances whose input holds every field=value, nested by dots, numbers whether stored as numbers or text", async () => {
    expect((await search("customer=globex")).sort()).toEqual([ids[0], ids[3], ids[6]].sort());
    expect((await search("customer=acme, region.name=eu")).sort()).toEqual([ids[1], ids[2]].sort());
    expect(await search("amount=4")).toEqual([ids[4]]);
    expect(await search('amount="4"')).toEqual([]);
    expect(await search("customer=nobody")).toEqual([]);
  });
  it("combines with the status view and the sort", async () => {
    expect(await search("customer=acme")).toHaveLength(6);
    const running = await listInstances(t.db, { status: "running", input: "customer=acme", sort: "workflow", limit: 100 });
    expect(running.items.map((i) => i.id)).toEqual([ids[4]]);
  });
});

const token = await createApiToken(t.db, (await createUser(t.db, "auditor")).id, "test");
describe("bad input is a 400 with a field error, never a 500", () => {
  const get = async (qs: string) => {
    const response = await listRoute(apiRequest(`/api/v1/instances?${qs}`, { token }), params({}));
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string; fields: Record<string, string[]> }; items?: unknown[] } };
  };
  it.each([
    ["input=customer", "input", /field=value/],
    ["input=%3Dacme", "input", /not an input field name/],
    ["input=customer%3D", "input", /Give a value/],
    ["input=a%3D1,b%3D2,c%3D3,d%3D4,e%3D5,f%3D6", "input", /at most 5/],
    ["input=drop%20table%3Dx", "input", /not an input field name/],
    ["sort=priority", "sort", /./],
    [`sort=status&cursor=${Buffer.from(JSON.stringify(["bogus", "2026-01-01T00:00:00.000Z", "5d41402a-bc4b-0a76-0971-9d911017c592"])).toString("base64url")}`, "cursor", /Invalid cursor/],
    [`sort=workflow&cursor=${Buffer.from(JSON.stringify(["2026-01-01T00:00:00.000Z", "5d41402a-bc4b-0a76-0971-9d911017c592"])).toString("base64url")}`, "cursor", /Invalid cursor/],
  ])("%s", async (qs, field, message) => {
    const { status, body } = await get(qs);
    expect(status).toBe(400);
    expect(body.error?.code).toBe("invalid");
    expect(body.error?.fields[field]?.join(" ")).toMatch(message);
  });
  it("a good input search answers through the API", async () => {
    const { status, body } = await get("input=customer%3Dglobex&sort=started");
    expect(status).toBe(200);
    expect(body.items?.length).toBeGreaterThanOrEqual(3);
  });
});
