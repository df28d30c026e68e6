/**
 * `npm run bench:lists`: fills instances with LIST_INSTANCES rows (default 1,000,000, a realistic
 * status mix) through generate_series, then measures the instance list the dashboard and the API
 * use (`listInstances`: each status tab, a workflow filter, an id search, the first page and the
 * tenth through the cursor) and the per-status counts, p50/p95 over BENCH_RUNS runs. As a
 * reference in the same run it times the list's old order (`updated_at DESC`, which the
 * `DESC NULLS LAST` index cannot serve), and prints each query's plan.
 * Uses DATABASE_URL if set, else a throwaway embedded cluster. Writes its figures to BENCHMARKS.md.
 */
import { execSync } from "node:child_process";
import os from "node:os";
import type postgres from "postgres";
import { benchDatabase, percentile, writeBenchmarkSection } from "./support";
import { createDb, type Db } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { countByStatus, listInstances } from "@/lib/instances/queries";

const INSTANCES = Number(process.env.LIST_INSTANCES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const say = (m: string) => console.log(`bench:lists ${m}`);

/** Most instances have ended; a few percent run, wait at a gate or are paused, as on a real installation. */
async function fill(sql: postgres.Sql) {
  const started = performance.now();
  const indexes = await sql<{ indexname: string; indexdef: string }[]>`
    select indexname, indexdef from pg_indexes where tablename = 'instances' and indexname <> 'instances_pkey'`;
  for (const ix of indexes) await sql.unsafe(`drop index ${ix.indexname}`);
  await sql`insert into workflow_definitions (key, version, name, steps) values
    ('deploy-pipeline', 1, 'Deploy pipeline', '[]'), ('nightly-etl', 1, 'Nightly ETL', '[]'), ('database-migration', 1, 'Database migration', '[]')
    on conflict do nothing`;
  await sql`
    insert into instances (id, definition_id, workflow_key, status, started_by_label, created_at, updated_at,
                           paused_at, paused_by_label, pause_reason, pause_mode, pause_kind, paused_from_status)
    select md5('i' || i)::uuid, d.id, d.key, s.status::instance_status, 'user' || (i % 200) || '@example.com',
      now() - (i * interval '30 seconds') - interval '1 hour', now() - (i * interval '30 seconds'),
      case when s.status = 'paused' then now() - (i * interval '30 seconds') end,
      case when s.status = 'paused' then 'ops@example.com' end,
      case when s.status = 'paused' then 'Maintenance window' end,
      case when s.status = 'paused' then 'graceful'::pause_mode end,
      case when s.status = 'paused' then 'manual'::pause_kind end,
      case when s.status = 'paused' then 'running'::instance_status end
    from generate_series(0, ${INSTANCES - 1}) i
    join lateral (select id, key from workflow_definitions order by key offset (i % 3) limit 1) d on true
    cross join lateral (select case
      when i % 100 < 2 then 'running' when i % 100 < 3 then 'paused' when i % 100 < 4 then 'waiting'
      when i % 100 < 90 then 'completed' when i % 100 < 96 then 'failed' else 'cancelled' end as status) s`;
  say(`${INSTANCES} instances in ${Math.round(performance.now() - started)} ms`);
  for (const ix of indexes) await sql.unsafe(ix.indexdef);
  await sql`analyze instances`;
  return Math.round((performance.now() - started) / 1000);
}

async function time(run: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

type Row = { name: string; p50: number; p95: number; plan: string };

async function main() {
  const target = await benchDatabase("lists");
  const { db, sql } = createDb(target.url, { max: 4 });
  try {
    await migrateDatabase(target.url);
    const have = (await sql<{ n: number }[]>`select count(*)::int as n from instances`)[0]!.n;
    const fillSeconds = have >= INSTANCES ? 0 : await fill(sql);
    const total = (await sql<{ n: number }[]>`select count(*)::int as n from instances`)[0]!.n;
    const someId = (await sql<{ id: string }[]>`select md5('i4242')::uuid::text as id`)[0]!.id;

    const tenthPage = async (filter: { status: "all" }) => {
      let cursor: string | null = null;
      for (let i = 0; i < 9; i++) cursor = (await listInstances(db, { ...filter, limit: 50, cursor: cursor ?? undefined })).nextCursor;
      return cursor!;
    };
    const deepAll = await tenthPage({ status: "all" });
    const cases: [string, () => Promise<unknown>, string][] = [
      ["All (the default view)", () => listInstances(db, { status: "all", limit: 50 }), "all"],
      ["All, 10th page (cursor)", () => listInstances(db, { status: "all", limit: 50, cursor: deepAll }), "all"],
      ["Running", () => listInstances(db, { status: "running", limit: 50 }), "running"],
      ["Paused", () => listInstances(db, { status: "paused", limit: 50 }), "paused"],
      ["Waiting", () => listInstances(db, { status: "waiting", limit: 50 }), "waiting"],
      ["Workflow nightly-etl, all", () => listInstances(db, { status: "all", workflow: "nightly-etl", limit: 50 }), "all"],
      ["Id search (8 characters)", () => listInstances(db, { status: "all", q: someId.slice(0, 8), limit: 50 }), "all"],
      ["All, by start", () => listInstances(db, { status: "all", sort: "started", limit: 50 }), "all"],
      ["Paused, by start", () => listInstances(db, { status: "paused", sort: "started", limit: 50 }), "paused"],
      ["All, by workflow", () => listInstances(db, { status: "all", sort: "workflow", limit: 50 }), "all"],
      ["Running, by workflow", () => listInstances(db, { status: "running", sort: "workflow", limit: 50 }), "running"],
      ["All, by status", () => listInstances(db, { status: "all", sort: "status", limit: 50 }), "all"],
      ["Input search (customer=acme)", () => listInstances(db, { status: "all", input: "customer=acme", limit: 50 }), "all"],
      ["Counts by status", () => countByStatus(db), ""],
      // The reference: the order the list used before, which no index serves.
      ["Reference: All, ordered updated_at DESC (old)", () => sql`select id from instances order by updated_at desc, id desc limit 51`, ""],
    ];
    const rows: Row[] = [];
    for (const [name, run] of cases) {
      const { p50, p95 } = await time(run);
      const plan = await planSummary(db, sql, name);
      rows.push({ name, p50, p95, plan });
      say(`${name.padEnd(48)} p50 ${p50.toFixed(1)} ms  p95 ${p95.toFixed(1)} ms  ${plan}`);
    }
    await record({ total, fillSeconds, rows });
  } finally {
    await sql.end();
    await target.stop();
  }
}

/** The top plan nodes of the list's two orders, so the table says how each is served. */
async function planSummary(_db: Db, sql: postgres.Sql, name: string): Promise<string> {
  const order = name.startsWith("Reference") ? "updated_at desc, id desc" : name.startsWith("All (") ? "updated_at desc nulls last, id desc nulls last" : null;
  if (!order) return "";
  type PlanRow = { "QUERY PLAN": [{ Plan: { "Node Type": string; Plans?: { "Node Type": string; "Index Name"?: string }[] } }] };
  const [row] = await sql.unsafe<PlanRow[]>(`explain (format json) select id from instances order by ${order} limit 51`);
  const plan = row!["QUERY PLAN"][0].Plan;
  const child = plan.Plans?.[0];
  return `${plan["Node Type"]} → ${child?.["Node Type"] ?? "?"}${child?.["Index Name"] ? ` (${child["Index Name"]})` : ""}`;
}

async function record(r: { total: number; fillSeconds: number; rows: Row[] }) {
  const cpu = execSync("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").toString().trim();
  const ours = r.rows.find((x) => x.name.startsWith("All (the"))!;
  const reference = r.rows.find((x) => x.name.startsWith("Reference"))!;
  const section = [
    "<!-- bench:lists:start -->",
    "## The instance list at a million instances",
    "",
    `Measured by \`npm run bench:lists\` (bench/lists.ts) on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${os.cpus().length} CPUs, ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, PostgreSQL (embedded, default settings).`,
    `Data: ${r.total.toLocaleString("en")} instances (2 % running, 1 % paused, 1 % waiting, the rest ended), loaded with generate_series in ${r.fillSeconds} s.`,
    "",
    "| query (page of 50, as `listInstances` runs it for the page and the API) | p50 | p95 | plan |",
    "|---|---|---|---|",
    ...r.rows.map((x) => `| ${x.name} | ${x.p50.toFixed(1)} ms | ${x.p95.toFixed(1)} ms | ${x.plan} |`),
    "",
    `The default view against the reference in the same run: p95 ${ours.p95.toFixed(1)} ms against ${reference.p95.toFixed(1)} ms, ${(reference.p95 / ours.p95).toFixed(0)}× faster, because its order now matches the index (\`nulls last\`, lib/instances/list-filter-where.ts \`instanceOrders\`). The counts are still a full count of every instance; see the note under issue 15.`,
    `Each figure is ${RUNS} runs, one at a time, measured in the client.`,
    "<!-- bench:lists:end -->",
  ].join("\n");
  await writeBenchmarkSection("lists", section);
  say("figures written to BENCHMARKS.md");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
