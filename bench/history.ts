/**
 * `npm run bench:history`: fills history with HISTORY_ROWS rows (default 10 million) through
 * generate_series, then measures the page latency of every filter the history browser offers
 * (p50/p95 over repeated runs, first page and a page deep in) and the export rate.
 * Uses DATABASE_URL if set, else a throwaway embedded cluster. Writes its figures to BENCHMARKS.md.
 */
import { execSync } from "node:child_process";
import os from "node:os";
import postgres from "postgres";
import { benchDatabase, percentile, writeBenchmarkSection, writeSummary, type SummaryRow } from "./support";
import { createDb } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { exportHistory } from "@/lib/audit/export";
import { historyQuery, listHistory, type HistoryQuery } from "@/lib/audit/queries";

const QUICK = process.env.BENCH_SIZE === "quick";
const ROWS = Number(process.env.HISTORY_ROWS ?? (QUICK ? 200_000 : 10_000_000));
const INSTANCES = Math.max(1, Math.round(ROWS / 20));
const RUNS = Number(process.env.BENCH_RUNS ?? (QUICK ? 10 : 30));
const CHUNK = 1_000_000;
const say = (m: string) => console.log(`bench:history ${m}`);

async function fill(sql: postgres.Sql) {
  const started = performance.now();
  const indexes = await sql<{ indexname: string; indexdef: string }[]>`
    select indexname, indexdef from pg_indexes where tablename = 'history' and indexname <> 'history_pkey'`;
  // Loading first and indexing after is how any bulk load is done; the figures are for querying.
  for (const ix of indexes) await sql.unsafe(`drop index ${ix.indexname}`);
  await sql`insert into workflow_definitions (key, version, name, steps) values
    ('deploy-pipeline', 1, 'Deploy pipeline', '[]'), ('nightly-etl', 1, 'Nightly ETL', '[]'), ('database-migration', 1, 'Database migration', '[]')`;
  await sql`
    insert into instances (id, definition_id, workflow_key, status, started_by_label, created_at, updated_at)
    select md5(i::text)::uuid, d.id, d.key, 'completed', 'user' || (i % 200) || '@example.com', now() - interval '365 days', now() - interval '1 day'
    from generate_series(0, ${INSTANCES - 1}) i
    join lateral (select id, key from workflow_definitions order by key offset (i % 3) limit 1) d on true`;
  say(`${INSTANCES} instances in ${Math.round(performance.now() - started)} ms`);
  for (let from = 0; from < ROWS; from += CHUNK) {
    const to = Math.min(ROWS, from + CHUNK) - 1;
    await sql`
      insert into history (instance_id, seq, action, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
      select md5((g % ${INSTANCES})::text)::uuid,
        g / ${INSTANCES} + 1,
        (array['started','paused','resumed','force_resumed','gate_requested','gate_approved','gate_rejected','completed','cancelled'])[g % 9 + 1]::history_action,
        case when g % 9 in (0, 4) then 'engine' else 'user' || (g % 200) || '@example.com' end,
        case when g % 9 in (1, 2, 3, 6, 8) then (array['System maintenance','Database failover drill','High system load detected','Waiting for vendor fix','Cost review','Release freeze for the holidays'])[g % 6 + 1] || ' #' || (g % 9973) end,
        'running', 'paused',
        case when g % 9 in (1, 3, 6) then jsonb_build_object('category', (array['maintenance','incident','approval','dependency','cost','other'])[g % 6 + 1]) else '{}'::jsonb end,
        (array['deploy-pipeline','nightly-etl','database-migration'])[g % 3 + 1],
        now() - ((${ROWS} - g) * interval '3 seconds'),
        null, md5(g::text)
      from generate_series(${from}::bigint, ${to}::bigint) g`;
    say(`history rows: ${to + 1} / ${ROWS} (${Math.round((performance.now() - started) / 1000)} s)`);
  }
  for (const ix of indexes) {
    const t0 = performance.now();
    await sql.unsafe(ix.indexdef);
    say(`index ${ix.indexname} in ${Math.round(performance.now() - t0)} ms`);
  }
  await sql`analyze`;
  return Math.round((performance.now() - started) / 1000);
}

async function main() {
  const db0 = await benchDatabase("history");
  const { db, sql } = createDb(db0.url, { max: 4 });
  try {
    await migrateDatabase(db0.url);
    const n = (await sql<{ n: number }[]>`select count(*)::int as n from history`)[0]!.n;
    const fillSeconds = n >= ROWS ? 0 : await fill(sql);
    const total = (await sql<{ total: number }[]>`select count(*)::int as total from history`)[0]!.total;
    const bytes = (await sql<{ bytes: string }[]>`select pg_size_pretty(pg_total_relation_size('history')) as bytes`)[0]!.bytes;
    say(`history holds ${total} rows (${bytes}); filled in ${fillSeconds} s`);

    const someInstance = (await sql<{ id: string }[]>`select md5('4242')::uuid::text as id`)[0]!.id;
    const midDay = new Date(Date.now() - (ROWS / 2) * 3000);
    const filters: [string, HistoryQuery][] = [
      ["newest first, no filter", {}],
      ["instance", { instanceId: someInstance }],
      ["actor (exact email)", { actor: "user42@example.com" }],
      ["actor (prefix)", { actor: "user4" }],
      ["action = force_resumed", { action: "force_resumed" }],
      ["workflow", { workflow: "nightly-etl" }],
      ["category = incident", { category: "incident" }],
      ["date range (one day)", { from: midDay.toISOString(), to: new Date(midDay.getTime() + 86_400_000).toISOString() }],
      ["reason contains (rare)", { q: "#4242" }],
      ["reason contains (common)", { q: "failover" }],
      ["actor + action", { actor: "user42@example.com", action: "paused" }],
      ["workflow + action + category", { workflow: "nightly-etl", action: "paused", category: "incident" }],
    ];
    const results: { name: string; p50: number; p95: number; deepP95: number; rows: number }[] = [];
    for (const [name, raw] of filters) {
      const filter = historyQuery.parse({ ...raw, limit: 50 });
      const times: number[] = [];
      let first = await listHistory(db, filter);
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        first = await listHistory(db, filter);
        times.push(performance.now() - t0);
      }
      // Ten pages in, through the cursor, as someone paging back through the log would.
      let cursor = first.nextCursor;
      for (let i = 0; i < 9 && cursor; i++) cursor = (await listHistory(db, { ...filter, cursor })).nextCursor;
      const deep: number[] = [];
      if (cursor) {
        for (let i = 0; i < Math.min(RUNS, 10); i++) {
          const t0 = performance.now();
          await listHistory(db, { ...filter, cursor });
          deep.push(performance.now() - t0);
        }
      }
      times.sort((a, b) => a - b);
      deep.sort((a, b) => a - b);
      const r = { name, p50: percentile(times, 50), p95: percentile(times, 95), deepP95: deep.length ? percentile(deep, 95) : Number.NaN, rows: first.items.length };
      results.push(r);
      say(`${name.padEnd(32)} p50 ${r.p50.toFixed(1)} ms  p95 ${r.p95.toFixed(1)} ms  page 10 p95 ${Number.isNaN(r.deepP95) ? "n/a" : `${r.deepP95.toFixed(1)} ms`}  (${r.rows} rows)`);
    }

    const exportFilter = historyQuery.parse({ action: "paused" });
    const t0 = performance.now();
    let bytes2 = 0;
    let lines = 0;
    const reader = exportHistory(db, sql, exportFilter, "csv").getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes2 += value.byteLength;
      for (const b of value) if (b === 10) lines++;
    }
    const exportSeconds = (performance.now() - t0) / 1000;
    const exportRate = Math.round((lines - 1) / exportSeconds);
    const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
    say(`export csv (action=paused): ${lines - 1} rows, ${(bytes2 / 1e6).toFixed(0)} MB in ${exportSeconds.toFixed(1)} s = ${exportRate} rows/s; process RSS ${rss} MB`);

    await record({ total, bytes, fillSeconds, results, exportRows: lines - 1, exportRate, exportMb: Math.round(bytes2 / 1e6), rss });
  } finally {
    await sql.end();
    await db0.stop();
  }
}

async function record(r: { total: number; bytes: string; fillSeconds: number; results: { name: string; p50: number; p95: number; deepP95: number; rows: number }[]; exportRows: number; exportRate: number; exportMb: number; rss: number }) {
  const cpu = execSync("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").toString().trim();
  const fmt = (ms: number) => (Number.isNaN(ms) ? "n/a" : `${ms.toFixed(1)} ms`);
  const section = [
    "<!-- bench:history:start -->",
    "## History at scale",
    "",
    `Measured by \`npm run bench:history\` (bench/history.ts) on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${os.cpus().length} CPUs, ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, PostgreSQL (embedded, default settings, fsync off).`,
    `Data: ${r.total.toLocaleString("en")} history rows (${r.bytes} with indexes) over ${INSTANCES.toLocaleString("en")} instances, spread over a year; loaded with generate_series in ${r.fillSeconds} s (indexes built after the load).`,
    "",
    "| filter (page of 50, newest first) | p50 | p95 | p95, 10th page |",
    "|---|---|---|---|",
    ...r.results.map((x) => `| ${x.name} | ${fmt(x.p50)} | ${fmt(x.p95)} | ${fmt(x.deepP95)} |`),
    "",
    `Export (CSV, \`action=paused\`): ${r.exportRows.toLocaleString("en")} rows, ${r.exportMb} MB at ${r.exportRate.toLocaleString("en")} rows/s; the benchmark process's RSS stayed at ${r.rss} MB (server-side cursor, 1000 rows a fetch).`,
    "",
    `Each figure is ${RUNS} runs of \`listHistory\` (the same code the page and the API use), measured in the client, one at a time.`,
    "<!-- bench:history:end -->",
  ].join("\n");
  await writeBenchmarkSection("history", section);
  say("figures written to BENCHMARKS.md");
  const summary: SummaryRow[] = [
    ...r.results.map((x): SummaryRow => ({ measure: `history page p95: ${x.name}`, ours: Number(x.p95.toFixed(1)), unit: "ms", target: 50, better: "max" })),
    { measure: "history export (CSV) rate", ours: r.exportRate, unit: "rows/s" },
  ];
  say(`summary: ${await writeSummary("history", `${r.total} history rows`, summary)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
