/**
 * `npm run bench:lists`: the control plane's reads at a million instances. Fills (bench/seed-scale.ts)
 * LIST_INSTANCES instances (default 1,000,000, a realistic status mix), LIST_HISTORY hash-chained
 * history rows (default 10,000,000; one instance with LIST_LONG_HISTORY of them, default 10,000)
 * and a pending gate per waiting instance (1 %: 10,000 at full size), then measures, p50/p95 over
 * BENCH_RUNS sequential runs (default 30):
 *  - the queries, as the pages and the API run them (`listInstances` for every tab, filter, search,
 *    sort, a deep keyset page; the counts; the workflows page's counts; an instance page's data; the
 *    approvals inbox and the nav's count of it; the history page, a deep page, an export's start);
 *  - the same screens through HTTP against `next start` (run `npx next build` first), signed in as
 *    an approver (a session cookie) for pages and with an API token for `/api/v1`: time to first
 *    byte (TTFB) and to the last byte.
 * Targets (issue 15): query p95 < 50 ms, page TTFB p95 < 150 ms.
 * BENCH_SIZE=quick: 20,000 instances, 200,000 history rows, 10 runs (`npm run bench` uses it);
 * LIST_HTTP=0 skips the HTTP half. Uses DATABASE_URL if set (and already filled: it is reused),
 * else a throwaway embedded cluster. Writes BENCHMARKS.md's section and a JSON summary (support.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import type postgres from "postgres";
import { benchDatabase, percentile, writeBenchmarkSection, writeSummary, type SummaryRow, waitForHealth } from "./support";
import { seedScale } from "./seed-scale";
import { createDb, type Db } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { exportHistory } from "@/lib/audit/export";
import { countHistory, historyQuery, listHistory } from "@/lib/audit/queries";
import { hashPassword } from "@/lib/auth/password";
import { signIn } from "@/lib/auth/sessions";
import { inboxCountFor, inboxFor } from "@/lib/gates/queries";
import { countByStatus, getInstanceDetail, listInstances } from "@/lib/instances/queries";
import { issueToken } from "@/lib/users/tokens";
import { listDefinitions } from "@/lib/workflows/queries";
import { createUser } from "@/test/support/factories";
import { freePort } from "@/test/support/free-port";

const QUICK = process.env.BENCH_SIZE === "quick";
const INSTANCES = Number(process.env.LIST_INSTANCES ?? (QUICK ? 20_000 : 1_000_000));
const HISTORY = Number(process.env.LIST_HISTORY ?? (QUICK ? 200_000 : 10_000_000));
const LONG_HISTORY = Number(process.env.LIST_LONG_HISTORY ?? (QUICK ? 2_000 : 10_000));
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 10 : 30));
const HTTP = process.env.LIST_HTTP !== "0";
const QUERY_TARGET_MS = 50;
const TTFB_TARGET_MS = 150;
const say = (m: string) => console.log(`bench:lists ${m}`);

/** Issue 15's figures at a million instances before this work (TTFB p95, ms, same machine): the "before" column. */
const BEFORE: Record<string, number> = {
  "/instances (All)": 1245,
  "/instances?status=paused": 401,
  "GET /api/v1/instances": 1245,
  "GET /api/v1/instances, 10th page (cursor)": 842,
  "GET /api/v1/instances/counts": 378,
  "GET /api/v1/instances?status=paused": 55,
  [`/instances/{id} (${(Number(process.env.LIST_LONG_HISTORY ?? 0) || 10_000).toLocaleString("en")} history rows)`]: 43,
  "/approvals (inbox)": 31,
};

type Timing = { p50: number; p95: number };
type Row = { kind: "query" | "api" | "page"; name: string; ttfb: Timing; total?: Timing; plan?: string };

async function time(run: () => Promise<number | void>): Promise<{ ttfb: Timing; total: Timing }> {
  await run(); // warm: plan caches, route compilation, the connection pool
  const first: number[] = [];
  const whole: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const firstByte = await run();
    whole.push(performance.now() - t0);
    first.push(typeof firstByte === "number" ? firstByte - t0 : performance.now() - t0);
  }
  const p = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    return { p50: percentile(xs, 50), p95: percentile(xs, 95) };
  };
  return { ttfb: p(first), total: p(whole) };
}

async function main() {
  const target = await benchDatabase("lists");
  const { db, sql } = createDb(target.url, { max: 4 });
  let server: ChildProcess | undefined;
  try {
    await migrateDatabase(target.url, { appUrl: appRoleUrl(target.url) });
    const have = (await sql<{ n: number }[]>`select count(*)::int as n from instances`)[0]!.n;
    const fillSeconds = have >= INSTANCES ? 0 : await seedScale(sql, { instances: INSTANCES, historyRows: HISTORY, longHistory: LONG_HISTORY }, say);
    const [totals] = await sql<{ instances: number; history: number; gates: number; size: string }[]>`
      select (select count(*)::int from instances) as instances, (select count(*)::int from history) as history,
        (select count(*)::int from gates where status = 'pending') as gates,
        pg_size_pretty(pg_total_relation_size('instances') + pg_total_relation_size('history')) as size`;
    say(`${totals!.instances} instances, ${totals!.history} history rows, ${totals!.gates} pending gates (${totals!.size}); filled in ${fillSeconds} s`);

    const longId = (await sql<{ id: string }[]>`select md5('i0')::uuid::text as id`)[0]!.id;
    const someId = (await sql<{ id: string }[]>`select md5('i4242')::uuid::text as id`)[0]!.id;
    const approver = await createUser(db, "approver", { email: `bench-approver-${Date.now()}@example.com`, passwordHash: await hashPassword("bench-password-1") });
    const deep = async <T extends { nextCursor: string | null }>(page: (cursor?: string) => Promise<T>) => {
      let cursor: string | undefined;
      for (let i = 0; i < 9; i++) cursor = (await page(cursor)).nextCursor ?? cursor;
      return cursor!;
    };
    const deepAll = await deep((cursor) => listInstances(db, { status: "all", limit: 50, cursor }));
    const deepHistory = await deep((cursor) => listHistory(db, historyQuery.parse({ limit: 50, cursor })));

    const queries: [string, (db: Db) => Promise<unknown>][] = [
      ["Instances: All (the default view)", (db) => listInstances(db, { status: "all", limit: 50 })],
      ["Instances: All, 10th page (keyset cursor)", (db) => listInstances(db, { status: "all", limit: 50, cursor: deepAll })],
      ...(["running", "paused", "waiting", "completed", "failed"] as const).map((status) => [`Instances: ${status}`, (db: Db) => listInstances(db, { status, limit: 50 })] as [string, (db: Db) => Promise<unknown>]),
      ["Instances: workflow nightly-etl", (db) => listInstances(db, { status: "all", workflow: "nightly-etl", limit: 50 })],
      ["Instances: id search (8 characters)", (db) => listInstances(db, { status: "all", q: someId.slice(0, 8), limit: 50 })],
      ["Instances: input search (customer=acme)", (db) => listInstances(db, { status: "all", input: "customer=acme", limit: 50 })],
      ...(["started", "workflow", "status"] as const).map((sort) => [`Instances: All, by ${sort}`, (db: Db) => listInstances(db, { status: "all", sort, limit: 50 })] as [string, (db: Db) => Promise<unknown>]),
      ["Instances: paused, by started", (db) => listInstances(db, { status: "paused", sort: "started", limit: 50 })],
      ["Counts by status", (db) => countByStatus(db)],
      ["Workflows page: definitions with counts", (db) => listDefinitions(db)],
      [`Instance page data (${LONG_HISTORY.toLocaleString("en")} history rows)`, (db) => getInstanceDetail(db, longId)],
      ["Approvals inbox (approver)", (db) => inboxFor(db, approver)],
      ["Nav: approvals count (every page)", (db) => inboxCountFor(db, approver)],
      ["History: newest first", (db) => listHistory(db, historyQuery.parse({ limit: 50 }))],
      ["History: 10th page (keyset cursor)", (db) => listHistory(db, historyQuery.parse({ limit: 50, cursor: deepHistory }))],
      ["History: one instance", (db) => listHistory(db, historyQuery.parse({ limit: 50, instanceId: longId }))],
      ["History: action = paused", (db) => listHistory(db, historyQuery.parse({ limit: 50, action: "paused" }))],
      ["History: export start (count, first rows)", (db) => exportStart(db, sql)],
    ];
    const rows: Row[] = [];
    const traced = tracedDb(target.url);
    try {
      for (const [name, run] of queries) {
        const { ttfb } = await time(async () => void (await run(db)));
        const plan = await planOf(traced, () => run(traced.db));
        rows.push({ kind: "query", name, ttfb, plan });
        say(`query ${name.padEnd(52)} p50 ${ttfb.p50.toFixed(1)} ms  p95 ${ttfb.p95.toFixed(1)} ms  ${plan}`);
      }
    } finally {
      await traced.sql.end();
    }

    if (HTTP) {
      if (!existsSync(".next/BUILD_ID")) throw new Error("No production build: run `npx next build` first (or LIST_HTTP=0)");
      const { token: session } = await signIn(db, approver.email, "bench-password-1");
      const { token } = await issueToken(db, { userId: approver.id, name: "bench:lists", expiresInDays: "never" }, approver);
      const port = await freePort();
      server = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(port)], {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, DATABASE_URL: appRoleUrl(target.url), NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn" },
      });
      const base = `http://127.0.0.1:${port}`;
      await waitForHealth(base);
      const page = (url: string) => httpTiming(`${base}${url}`, { cookie: `fg_session=${session}` });
      const api = (url: string) => httpTiming(`${base}${url}`, { authorization: `Bearer ${token}` });
      const enc = encodeURIComponent;
      const requests: [Row["kind"], string, () => Promise<number>][] = [
        ["page", "/instances (All)", () => page("/instances")],
        ["page", "/instances, 10th page (cursor)", () => page(`/instances?cursor=${enc(deepAll)}`)],
        ...(["running", "paused", "waiting", "completed"] as const).map((s) => ["page", `/instances?status=${s}`, () => page(`/instances?status=${s}`)] as [Row["kind"], string, () => Promise<number>]),
        ["page", "/instances?workflow=nightly-etl", () => page("/instances?workflow=nightly-etl")],
        ["page", "/instances?q=<8 characters of an id>", () => page(`/instances?q=${someId.slice(0, 8)}`)],
        ["page", "/instances?input=customer=acme", () => page(`/instances?input=${enc("customer=acme")}`)],
        ...(["started", "workflow", "status"] as const).map((s) => ["page", `/instances?sort=${s}`, () => page(`/instances?sort=${s}`)] as [Row["kind"], string, () => Promise<number>]),
        ["page", `/instances/{id} (${LONG_HISTORY.toLocaleString("en")} history rows)`, () => page(`/instances/${longId}`)],
        ["page", "/approvals (inbox)", () => page("/approvals")],
        ["page", "/workflows", () => page("/workflows")],
        ["page", "/history", () => page("/history")],
        ["page", "/history, 10th page (cursor)", () => page(`/history?cursor=${enc(deepHistory)}`)],
        ["api", "GET /api/v1/instances", () => api("/api/v1/instances")],
        ["api", "GET /api/v1/instances, 10th page (cursor)", () => api(`/api/v1/instances?cursor=${enc(deepAll)}`)],
        ["api", "GET /api/v1/instances?status=paused", () => api("/api/v1/instances?status=paused")],
        ["api", "GET /api/v1/instances?workflow=nightly-etl", () => api("/api/v1/instances?workflow=nightly-etl")],
        ["api", "GET /api/v1/instances?q=<8 characters>", () => api(`/api/v1/instances?q=${someId.slice(0, 8)}`)],
        ["api", "GET /api/v1/instances?sort=started", () => api("/api/v1/instances?sort=started")],
        ["api", "GET /api/v1/instances/counts", () => api("/api/v1/instances/counts")],
        ["api", `GET /api/v1/instances/{id} (${LONG_HISTORY.toLocaleString("en")} history rows)`, () => api(`/api/v1/instances/${longId}`)],
        ["api", "GET /api/v1/workflows", () => api("/api/v1/workflows")],
        ["api", "GET /api/v1/gates?status=pending", () => api("/api/v1/gates?status=pending")],
        ["api", "GET /api/v1/history", () => api("/api/v1/history")],
        // One instance's trail, read to its end: an export abandoned after its first chunk keeps its
        // server-side cursor (and pool connection) open, and a few of those stall the server.
        ["api", `GET /api/v1/history/export?instanceId=… (${LONG_HISTORY.toLocaleString("en")} rows)`, () => api(`/api/v1/history/export?instanceId=${longId}&format=csv`)],
      ];
      for (const [kind, name, run] of requests) {
        const { ttfb, total } = await time(run);
        rows.push({ kind, name, ttfb, total });
        say(`${kind.padEnd(5)} ${name.padEnd(52)} TTFB p50 ${ttfb.p50.toFixed(1)} ms  p95 ${ttfb.p95.toFixed(1)} ms  (whole p95 ${total.p95.toFixed(1)} ms)`);
      }
    }
    await record({ totals: totals!, fillSeconds, rows });
  } finally {
    server?.kill("SIGTERM");
    await sql.end();
    await target.stop();
  }
}

/** A connection that records every statement it sends, to explain them after. */
function tracedDb(url: string) {
  const captured: { query: string; params: unknown[] }[] = [];
  const { db, sql } = createDb(url, { max: 1, debug: (_connection, query, params) => void captured.push({ query, params: [...params] }) });
  return { db, sql, captured };
}

type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; "Shared Hit Blocks"?: number; "Shared Read Blocks"?: number; Plans?: PlanNode[] };

/**
 * Runs `run` once on the traced connection and explains each SELECT it sent with
 * EXPLAIN (ANALYZE, BUFFERS): the shared buffers (8 kB pages) all of them touched, how many
 * statements, and any sequential scan of instances, history or gates. Buffers do not depend on
 * the machine's load, so they prove a plan where milliseconds on a busy machine cannot.
 */
async function planOf(traced: ReturnType<typeof tracedDb>, run: () => Promise<unknown>): Promise<string> {
  traced.captured.length = 0;
  await run();
  const statements = traced.captured.filter((c) => /^\s*(select|with)/i.test(c.query));
  let buffers = 0;
  const seqScans = new Set<string>();
  const walk = (node: PlanNode) => {
    if (node["Node Type"] === "Seq Scan" && ["instances", "history", "gates"].includes(node["Relation Name"] ?? "")) seqScans.add(node["Relation Name"]!);
    node.Plans?.forEach(walk);
  };
  for (const st of statements) {
    const [row] = await traced.sql.unsafe<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(`explain (analyze, buffers, format json) ${st.query}`, st.params as never[]);
    const plan = row!["QUERY PLAN"][0].Plan;
    buffers += (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0);
    walk(plan);
  }
  return `${buffers.toLocaleString("en")} buffers in ${statements.length} statement${statements.length === 1 ? "" : "s"}${seqScans.size ? `; Seq Scan of ${[...seqScans].join(", ")}` : ""}`;
}

/** What an export costs before its first row reaches the client: the route's count, then the first fetch of the cursor. */
async function exportStart(db: Db, sql: postgres.Sql) {
  const filter = historyQuery.parse({ action: "paused" });
  await countHistory(db, filter);
  const reader = exportHistory(db, sql, filter, "csv").getReader();
  await reader.read();
  await reader.cancel();
}

/**
 * GET `url` with `headers`; resolves with the time (performance.now()) the response's headers
 * arrived, after reading the body to its end. Throws on a status other than 200, so a benchmark
 * never times an error page.
 */
async function httpTiming(url: string, headers: Record<string, string>): Promise<number> {
  const response = await fetch(url, { headers, redirect: "manual" });
  const at = performance.now();
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  await response.arrayBuffer();
  return at;
}


async function record(r: { totals: { instances: number; history: number; gates: number; size: string }; fillSeconds: number; rows: Row[] }) {
  const { execSync } = await import("node:child_process");
  const cpu = execSync("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").toString().trim();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(" / ");
  const targetOf = (row: Row) => (row.kind === "query" ? QUERY_TARGET_MS : TTFB_TARGET_MS);
  const verdict = (row: Row) => (row.ttfb.p95 < targetOf(row) ? "yes" : "**no**");
  const table = (kind: Row["kind"][]) =>
    r.rows
      .filter((x) => kind.includes(x.kind))
      .map((x) => `| ${x.kind === "query" ? x.name : `\`${x.name}\``} | ${x.ttfb.p50.toFixed(1)} ms | ${x.ttfb.p95.toFixed(1)} ms | ${x.total ? `${x.total.p95.toFixed(1)} ms` : (x.plan ?? "")} | ${verdict(x)} |${x.kind === "query" ? "" : ` ${BEFORE[x.name] ? `${BEFORE[x.name]} ms` : ""} |`}`);
  const section = [
    "<!-- bench:lists:start -->",
    "## A million instances: lists, counts, pages",
    "",
    `Measured by \`${QUICK ? "BENCH_SIZE=quick " : ""}npm run bench:lists\` (bench/lists.ts, data from bench/seed-scale.ts) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.`,
    `Machine: ${os.cpus().length} CPUs, ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, PostgreSQL (embedded, default settings); load average at the end ${load} (shared with other work: a busy machine unless it reads below 1).`,
    `Data: ${r.totals.instances.toLocaleString("en")} instances (2 % running, 1 % paused, 1 % waiting at a pending gate, the rest ended), ${r.totals.history.toLocaleString("en")} hash-chained history rows (the verifier accepts them; one instance holds ${LONG_HISTORY.toLocaleString("en")}), ${r.totals.gates.toLocaleString("en")} pending gates; ${r.totals.size} with indexes${r.fillSeconds ? `, loaded in ${r.fillSeconds} s` : ""}.`,
    "",
    `Queries, as the pages and the API run them (page of 50), ${RUNS} sequential runs each, timed in the client. Target p95 < ${QUERY_TARGET_MS} ms.`,
    "",
    "| query | p50 | p95 | EXPLAIN (ANALYZE, BUFFERS): shared buffers read or hit | meets target |",
    "|---|---|---|---|---|",
    ...table(["query"]),
    "",
    ...(r.rows.some((x) => x.kind !== "query")
      ? [
          `Through HTTP: \`next start\`, pages signed in as an approver (the nav's approvals count included), the API with a token; ${RUNS} sequential requests each. Target TTFB p95 < ${TTFB_TARGET_MS} ms.`,
          "",
          "| request | TTFB p50 | TTFB p95 | whole response p95 | meets target | before (issue 15, TTFB p95) |",
          "|---|---|---|---|---|---|",
          ...table(["page", "api"]),
          "",
        ]
      : []),
    "<!-- bench:lists:end -->",
  ].join("\n");
  await writeBenchmarkSection("lists", section);
  console.log(section);
  const summary: SummaryRow[] = r.rows.map((x) => ({ measure: `${x.kind === "query" ? "query" : x.kind === "page" ? "page TTFB" : "API TTFB"} p95: ${x.name}`, ours: Number(x.ttfb.p95.toFixed(1)), unit: "ms", reference: x.kind === "query" ? undefined : BEFORE[x.name], target: targetOf(x), better: "max" }));
  say(`summary: ${await writeSummary("lists", `${r.totals.instances} instances, ${r.totals.history} history rows`, summary)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
