import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "@/db/client";
import { listHistory, historyQuery } from "@/lib/audit/queries";
import { countByStatus, getInstanceDetail, INSTANCE_HISTORY_PAGE, listInstances } from "@/lib/instances/queries";
import { listDefinitions } from "@/lib/workflows/queries";
import { appendHistory } from "@/lib/history";
import { instanceSorts } from "@/lib/instances/list-filter";
import { gateFilterOptions, inboxCountFor, inboxFor, listGates } from "@/lib/gates/queries";
import { sql } from "drizzle-orm";
import { encodeCursor } from "@/lib/cursor";
import { recentAccessChanges } from "@/lib/users/access-log";
import { freshDatabase } from "../support/db";
import { actor, createDefinition, createGatedInstance, createInstance, createUser } from "../support/factories";

// Issue 15: the unfiltered instance list was a sequential scan of every instance plus a sort,
// because the query ordered `updated_at DESC` (nulls first) while the index is `DESC NULLS LAST`
// (946 ms at a million instances). Whatever the table's size, each list query must be able to
// walk its index in order: with sequential scans disabled, its plan has no Sort node. (The
// planner's choice on a small table says nothing; this asks whether the index can serve.)

const t = await freshDatabase();
const captured: { query: string; params: unknown[] }[] = [];
const traced = createDb(t.ownerUrl, { max: 1, debug: (_connection, query, params) => void captured.push({ query, params: [...params] }) });
afterAll(() => traced.sql.end({ timeout: 5 }));
for (let i = 0; i < 5; i++) await createInstance(t.db);

type PlanNode = { "Node Type": string; "Index Name"?: string; "Parent Relationship"?: string; Plans?: PlanNode[] };

/** The plan of the last statement `run` sent, as EXPLAIN (FORMAT JSON) gives it, with sequential scans off. */
async function planOf(run: () => Promise<unknown>): Promise<PlanNode> {
  captured.length = 0;
  await run();
  const last = captured.filter((c) => /^select/i.test(c.query.trim())).at(-1)!;
  return t.sql.begin(async (tx) => {
    await tx`set local enable_seqscan = off`;
    const [row] = await tx.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(`explain (format json) ${last.query}`, last.params as never[]);
    return row!["QUERY PLAN"][0].Plan;
  });
}

/**
 * The nodes rows flow through to the result: the root and its outer inputs, down to the scan.
 * Subplans (a row's own subqueries: its pending gates, its steps) may sort their few rows.
 */
function mainPath(node: PlanNode): string[] {
  const outer = node.Plans?.filter((p) => p["Parent Relationship"] !== "SubPlan" && p["Parent Relationship"] !== "InitPlan") ?? [];
  const self = node["Index Name"] ? `${node["Node Type"]} (${node["Index Name"]})` : node["Node Type"];
  return [self, ...outer.flatMap(mainPath)];
}

describe("list queries walk an index in their order, never sort the table", () => {
  it.each([
    ["instances, all", () => listInstances(traced.db, { status: "all", limit: 50 })],
    ["instances, paused", () => listInstances(traced.db, { status: "paused", limit: 50 })],
    ["instances, id search", () => listInstances(traced.db, { status: "all", q: "4f2a9c1e", limit: 50 })],
    // Every sort, over all instances and within one status, first page and a later one.
    ...instanceSorts.flatMap((sort) =>
      (["all", "paused"] as const).flatMap((status) => [
        [`instances, ${status}, by ${sort}`, () => listInstances(traced.db, { status, sort, limit: 50 })] as const,
        [`instances, ${status}, by ${sort}, next page`, async () => listInstances(traced.db, { status, sort, limit: 1, cursor: (await listInstances(t.db, { status: "all", sort, limit: 1 })).nextCursor ?? undefined })] as const,
      ]),
    ),
    ["instances, input search", () => listInstances(traced.db, { status: "all", input: "customer=acme, amount=42", limit: 50 })],
    ["history, all", () => listHistory(traced.db, historyQuery.parse({}))],
    ["history, by action", () => listHistory(traced.db, historyQuery.parse({ action: "paused" }))],
    ["access log", () => recentAccessChanges(traced.db)],
  ] as const)("%s", async (name, run) => {
    const path = mainPath(await planOf(run));
    // The id search is a range of the primary key: it may sort the few ids in the range, but
    // must not read every instance. Every other list reads its order off an index.
    if (name.includes("id search")) expect(path.some((n) => n.includes("(instances_pkey)")), path.join(" → ")).toBe(true);
    // Containment is asked of the GIN index; its few matches may then be sorted.
    else if (name.includes("input search")) expect(path.some((n) => n.includes("(instances_input_idx)")), path.join(" → ")).toBe(true);
    else expect(path.filter((n) => n === "Sort" || n === "Incremental Sort"), path.join(" → ")).toEqual([]);
  });
});

it("counts by status stop at the cap: more than `cap` reads as cap + 1, each status cut off by a LIMIT on its index", async () => {
  const running = (await countByStatus(t.db, { cap: 1_000_000 })).running ?? 0;
  expect(running).toBeGreaterThan(2);
  expect((await countByStatus(t.db, { cap: 2 })).running).toBe(3);
  expect((await countByStatus(t.db, { cap: running })).running).toBe(running);
  // The cost is bounded by the cap, not by how many instances have ended (issue 15: 262 ms at a million).
  const plan = JSON.stringify(await planOf(() => countByStatus(traced.db)));
  expect(plan).toContain('"Node Type":"Limit"');
  // Any index led by status serves it (instances_status_updated_idx or _created_idx), read alone.
  expect(plan).toContain('"Node Type":"Index Only Scan"');
  expect(plan).toContain('"Index Cond":"(status = s.status)"');
});

it("a cursor naming an id that is a UUID but not an RFC 9562 version (ids from other systems) pages on", async () => {
  const cursor = encodeCursor(["2026-01-01T00:00:00.000Z", "5d41402a-bc4b-0a76-0971-9d911017c592"]);
  await expect(listInstances(t.db, { status: "all", cursor })).resolves.toMatchObject({ items: expect.any(Array) });
  await expect(listGates(t.db, { cursor })).resolves.toMatchObject({ items: expect.any(Array) });
});

it("the id search finds an instance by any prefix of its id as shown, and nothing for text that cannot start an id", async () => {
  const inst = await createInstance(t.db);
  const found = async (q: string) => (await listInstances(t.db, { status: "all", q, limit: 100 })).items.map((i) => i.id);
  for (const q of [inst.id.slice(0, 1), inst.id.slice(0, 8), inst.id.slice(0, 9), inst.id.slice(0, 13).toUpperCase(), inst.id]) expect(await found(q), q).toContain(inst.id);
  for (const q of ["zz", `${inst.id.slice(0, 8)}x`, inst.id.replaceAll("-", ""), "%", `${inst.id}0`]) expect(await found(q), q).not.toContain(inst.id);
});

it("the workflows page counts each definition's instances by status up to the cap, each pair a LIMIT on its index, never a GROUP BY over every instance", async () => {
  const def = await createDefinition(t.db, { key: "counted" });
  for (let i = 0; i < 4; i++) await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, status: "paused" });
  await createInstance(t.db, { definitionId: def.id, workflowKey: def.key, status: "running" });
  const countsOf = async (cap?: number) => (await listDefinitions(t.db, { cap })).find((d) => d.id === def.id)!.counts;
  expect(await countsOf()).toEqual({ paused: 4, running: 1 });
  // More than the cap reads as cap + 1 (shown "10,000+" at the real cap).
  expect(await countsOf(2)).toEqual({ paused: 3, running: 1 });
  // Issue 15: a GROUP BY over every instance on each render of /workflows. Now the cost is bounded
  // by the cap: each (definition, status) pair is an index range cut off by a LIMIT.
  const plan = await planOf(() => listDefinitions(traced.db));
  const text = JSON.stringify(plan);
  expect(text).toContain('"Node Type":"Limit"');
  expect(text).toContain('"Index Name":"instances_definition_status_idx"');
  expect(text).toMatch(/"Index Cond":"\(\(definition_id = d\.id\) AND \(status = s\.status\)\)"/);
  expect(text).not.toContain('"Node Type":"Seq Scan"');
});

it("an instance page carries its newest history rows, not all of them: a LIMIT on history_instance_seq_idx read backwards", async () => {
  const inst = await createInstance(t.db, { status: "running" });
  const actorOf = { id: null, label: "ops@example.com" };
  // One status change, then more rows than a page that change nothing: lastChange is older than the page.
  await t.db.transaction(async (tx) => {
    await appendHistory(tx, { instanceId: inst.id, workflowKey: inst.workflowKey, action: "paused", actor: actorOf, reason: "the change", fromStatus: "running", toStatus: "paused" });
    for (let i = 0; i < INSTANCE_HISTORY_PAGE + 5; i++) {
      await appendHistory(tx, { instanceId: inst.id, workflowKey: inst.workflowKey, action: "step_started", actor: actorOf, fromStatus: "paused", toStatus: "paused" });
    }
  });
  const detail = await getInstanceDetail(t.db, inst.id);
  expect(detail.history).toHaveLength(INSTANCE_HISTORY_PAGE);
  expect(detail.historyMore).toBe(true);
  expect(detail.history[0]!.seq).toBe(INSTANCE_HISTORY_PAGE + 5 + 2);
  expect(detail.lastChange).toMatchObject({ action: "paused", reason: "the change", seq: 2 });
  const short = await getInstanceDetail(t.db, (await createInstance(t.db)).id);
  expect(short).toMatchObject({ historyMore: false, lastChange: { action: "started" } });
  expect(short.history).toHaveLength(1);

  captured.length = 0;
  await getInstanceDetail(traced.db, inst.id);
  const reads = captured.filter((c) => /from "history"/i.test(c.query));
  expect(reads.length).toBeGreaterThan(0);
  for (const read of reads) {
    expect(read.query, "every history read of the page is bounded").toMatch(/limit \$\d+$/i);
    const plan = await t.sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      const [row] = await tx.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(`explain (format json) ${read.query}`, read.params as never[]);
      return row!["QUERY PLAN"][0].Plan;
    });
    expect(mainPath(plan).join(" → ")).toMatch(/^Limit → Index Scan \(history_instance_seq_idx\)$/);
  }
});

it("the approvals inbox and the nav's count read pending gates in request order along their index, a bounded batch at a time, and the count stops at its cap", async () => {
  const approver = await createUser(t.db, "approver");
  const starter = await createUser(t.db, "operator");
  for (let i = 0; i < 4; i++) await createGatedInstance(t.db, { stage: `inbox-${i}`, approverRole: "approver" }, actor(starter));
  const inbox = await inboxFor(t.db, approver);
  expect(inbox.filter((i) => i.gate.stage.startsWith("inbox-")).map((i) => i.gate.stage)).toEqual(["inbox-0", "inbox-1", "inbox-2", "inbox-3"]);
  expect(await inboxCountFor(t.db, approver)).toBe(inbox.length);
  // Past the cap the count reads cap + 1 (shown "99+" at the real cap) and stops reading.
  expect(await inboxCountFor(t.db, approver, { cap: 2 })).toBe(3);
  expect(await inboxCountFor(t.db, starter)).toBe(0);
  // Issue 15: every render read 500 gates with their instances' context. Now each read is a LIMIT
  // over gates_status_requested_idx in request order, joined to instances by primary key.
  captured.length = 0;
  await inboxCountFor(traced.db, approver);
  const scan = captured.find((c) => /from "gates" inner join "instances"/i.test(c.query))!;
  expect(scan.query).toMatch(/limit \$\d+$/i);
  const plan = await t.sql.begin(async (tx) => {
    await tx`set local enable_seqscan = off`;
    const [row] = await tx.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(`explain (format json) ${scan.query}`, scan.params as never[]);
    return row!["QUERY PLAN"][0].Plan;
  });
  const path = mainPath(plan);
  expect(path[0], path.join(" → ")).toBe("Limit");
  expect(path, path.join(" → ")).toContain("Index Scan (gates_status_requested_idx)");
  expect(path.filter((n) => n.startsWith("Sort") || n.startsWith("Seq Scan")), path.join(" → ")).toEqual([]);
});

it("the approvals page's stage filter reads the stages from the workflow definitions, never the gates table, and lists each defined stage once", async () => {
  await createGatedInstance(t.db, { stage: "plans-security", approverRole: "approver" });
  await createGatedInstance(t.db, { stage: "plans-security", approverRole: "approver" });
  await createGatedInstance(t.db, { stage: "plans-finance", approverRole: "approver" });
  const { stagesRead, stages } = await t.db.transaction(async (tx) => {
    // This backend's own accesses to gates, counted as they happen (not yet flushed to the shared
    // statistics; they may include earlier transactions of the connection, hence the difference).
    const scans = async () => (await tx.execute<{ scans: number }>(sql`select coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0)::int as scans from pg_stat_xact_user_tables where relname = 'gates'`))[0]!.scans;
    const before = await scans();
    const options = await gateFilterOptions(tx);
    return { stagesRead: (await scans()) - before, stages: options.stages };
  });
  expect(stagesRead).toBe(0);
  const defined = await t.db.execute<{ stage: string }>(sql`select distinct s -> 'gate' ->> 'stage' as stage from workflow_definitions, jsonb_array_elements(steps) s where s ? 'gate'`);
  expect(stages).toEqual(expect.arrayContaining(["plans-finance", "plans-security"]));
  expect([...stages].sort()).toEqual(defined.map((d) => d.stage).sort());
});
