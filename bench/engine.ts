/**
 * `npm run bench:engine`: the engine's figures, measured on a throwaway embedded PostgreSQL.
 *
 * 1. No-op step throughput of our worker against graphile-worker running no-op jobs, same
 *    database, same run, same concurrency.
 * 2. Resume → next step started: from just before the resume command to the started_at the
 *    claim wrote for the step after the checkpoint.
 * 3. Graceful pause → fully paused: from just before the pause command to the moment the
 *    instance has no step run in flight.
 *
 * Prints the figures and writes them to BENCHMARKS.md with the date and the machine.
 */
import { execSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { inArray, sql } from "drizzle-orm";
import { run as runGraphile, makeWorkerUtils } from "graphile-worker";
import pino from "pino";
import type postgres from "postgres";
import { createDb, type Db } from "@/db/client";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { instances, stepRuns, type Actor } from "@/db/schema";
import { Definitions } from "@/engine/definitions";
import { registerDefinitions } from "@/lib/workflows/registry";
import { engineConnection } from "@/engine/prepared";
import { defineWorkflow, type RegisteredWorkflow } from "@/lib/workflows/sdk";
import { Worker } from "@/engine/worker";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { freePort } from "@/test/support/free-port";
import { writeSummary, type SummaryRow } from "./support";

/** Both systems at each concurrency: 1 is graphile-worker's default, 10 ours, 100 a busy worker's. */
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? "1,10,100").split(",").map(Number);
const QUICK = process.env.BENCH_SIZE === "quick";
const CHAINS = Number(process.env.BENCH_CHAINS ?? (QUICK ? 100 : 500));
const CHAIN_LENGTH = 10;
const LATENCY_SAMPLES = Number(process.env.BENCH_SAMPLES ?? (QUICK ? 20 : 100));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
/**
 * `BENCH_PG_STATS=1`: loads pg_stat_statements and, after each round of our worker, prints where
 * the database's time went, statement by statement (execution and planning time, calls, rows).
 * For finding what to make cheaper; the extension's own bookkeeping costs a little CPU per statement.
 */
const PG_STATS = process.env.BENCH_PG_STATS === "1";

const noop = () => undefined;
const chainSteps = Object.fromEntries(Array.from({ length: CHAIN_LENGTH }, (_, i) => [`s${i}`, { dependsOn: i ? [`s${i - 1}`] : [], run: noop }]));
const catalog: RegisteredWorkflow[] = [
  defineWorkflow({ key: "bench-chain", version: 1, name: "No-op chain", steps: chainSteps }),
  defineWorkflow({ key: "bench-checkpoint", version: 1, name: "Checkpoint", steps: { before: { run: noop }, after: { dependsOn: ["before"], pauseBefore: true, run: noop } } }),
  // Steps that take a few ms, so that a pause usually finds one in flight and has to drain it.
  defineWorkflow({
    key: "bench-busy",
    version: 1,
    name: "Busy chain",
    steps: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`s${i}`, { dependsOn: i ? [`s${i - 1}`] : [], run: () => new Promise((r) => setTimeout(r, 3)) }])),
  }),
];
const actor: Actor = { id: null, label: "bench" };
const log = pino({ level: "warn" });
const say = (m: string) => console.log(`bench: ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const median = (values: number[]) => percentile(values, 50);
const cpu = (r: { nodeUsPerStep: number; pgUsPerStep: number }) => `${r.nodeUsPerStep.toFixed(0)} µs worker + ${r.pgUsPerStep.toFixed(0)} µs PostgreSQL`;

async function startWorker(url: string, concurrency = 10) {
  const conn = createDb(url, { max: 8, ...engineConnection });
  const worker = new Worker({
    db: conn.db,
    sql: conn.sql,
    definitions: new Definitions(catalog),
    workerId: `bench-${process.pid}`,
    concurrency,
    claimBatch: concurrency,
    leaseMs: 30_000,
    heartbeatMs: 10_000,
    pollMs: 1_000,
    hookTimeoutMs: 5_000,
    shutdownGraceMs: 5_000,
    log,
  });
  await worker.start();
  return {
    stop: async () => {
      await worker.stop();
      await conn.sql.end();
    },
  };
}

async function waitUntil(check: () => Promise<boolean>, intervalMs = 5, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(intervalMs);
  }
}

type Run = { rate: number; nodeUsPerStep: number; pgUsPerStep: number };

/** The benchmark cluster's postmaster pid, read once the cluster runs (its data folder's postmaster.pid). */
let postmasterPid = 0;

/**
 * CPU seconds used so far by the benchmark's PostgreSQL cluster: its postmaster and the processes
 * it forked (backends, background workers). Other clusters on the machine (other engineers' test
 * databases on a shared machine) are left out, so the per-step figure is this run's own.
 */
function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // fields[1] is the parent pid; utime and stime are fields[11] and fields[12], in clock ticks.
      if (Number(pid) !== postmasterPid && Number(fields[1]) !== postmasterPid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return ticks / 100;
}

/**
 * Vacuumed and analysed, as autovacuum keeps a database in service, before each system's run:
 * otherwise the first round plans for empty tables and later rounds wade through the dead rows
 * earlier rounds left (graphile-worker deletes every job it finishes).
 */
async function settled(client: postgres.Sql): Promise<void> {
  await client`vacuum analyze`;
}

/** Times `work` (which processes `steps` steps) and says what it cost in CPU, here and in PostgreSQL. */
async function measured(steps: number, work: () => Promise<void>): Promise<Run> {
  const cpu = process.cpuUsage();
  const pg = postgresCpuSeconds();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: steps / seconds, nodeUsPerStep: (used.user + used.system) / steps, pgUsPerStep: ((postgresCpuSeconds() - pg) * 1e6) / steps };
}

/** Our worker: CHAINS instances of CHAIN_LENGTH no-op steps, queued before the worker starts. */
async function ourThroughput(db: Db, client: postgres.Sql, url: string, concurrency: number): Promise<Run> {
  for (let i = 0; i < CHAINS; i++) await startInstance(db, { workflow: "bench-chain" }, actor, { catalog });
  await settled(client);
  // Only the worker's statements: the instances above were started before this.
  if (PG_STATS) await client`select pg_stat_statements_reset()`;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const run = await measured(CHAINS * CHAIN_LENGTH, async () => {
    worker = await startWorker(url, concurrency);
    // Every 25 ms, one short prepared statement: the poll must not load the database it measures.
    await waitUntil(async () => {
      const [row] = await client`select count(*)::int as n from instances where workflow_key = 'bench-chain' and status <> 'completed'`;
      return row!.n === 0;
    }, 25);
  });
  await worker?.stop();
  return run;
}

/** graphile-worker: the same number of no-op jobs, queued before its runner starts. */
async function graphileThroughput(client: postgres.Sql, url: string, concurrency: number, tuned: boolean): Promise<Run> {
  const jobs = CHAINS * CHAIN_LENGTH;
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  await utils.addJobs(Array.from({ length: jobs }, () => ({ identifier: "noop", payload: {} })));
  await settled(client);
  let done = 0;
  let runner: Awaited<ReturnType<typeof runGraphile>> | undefined;
  const run = await measured(jobs, async () => {
    runner = await runGraphile({
      connectionString: url,
      concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      taskList: { noop: async () => {} },
      logger: new (await import("graphile-worker")).Logger(() => () => {}),
      ...(tuned ? { preset: { worker: { localQueue: { size: 50 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } } : {}),
    });
    runner.events.on("job:success", () => {
      done++;
    });
    await waitUntil(async () => done >= jobs, 5);
  });
  await runner?.stop();
  await utils.release();
  return run;
}

/** Resume of a checkpoint pause → started_at of the step after it. */
async function resumeLatency(db: Db, url: string): Promise<number[]> {
  const worker = await startWorker(url);
  const ids: string[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) ids.push((await startInstance(db, { workflow: "bench-checkpoint" }, actor, { catalog })).id);
  await waitUntil(async () => {
    const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(instances).where(sql`${inArray(instances.id, ids)} and ${instances.status} = 'paused'`);
    return row!.n === ids.length;
  }, 20);
  const samples: number[] = [];
  for (const id of ids) {
    const before = Date.now();
    await resumeInstance(db, { instanceId: id }, actor);
    let started: Date | null = null;
    await waitUntil(async () => {
      const [run] = await db.select({ startedAt: stepRuns.startedAt }).from(stepRuns).where(sql`${stepRuns.instanceId} = ${id} and ${stepRuns.stepKey} = 'after' and ${stepRuns.startedAt} is not null`);
      started = run?.startedAt ?? null;
      return started !== null;
    }, 1);
    samples.push((started as Date | null)!.getTime() - before);
    await sleep(10);
  }
  await worker.stop();
  return samples;
}

/** Graceful pause of a busy instance → no step run of it in flight any more. */
async function pauseLatency(db: Db, url: string): Promise<number[]> {
  const worker = await startWorker(url);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const inst = await startInstance(db, { workflow: "bench-busy" }, actor, { catalog });
    await sleep(20 + Math.random() * 30);
    const before = performance.now();
    const paused = await pauseInstance(db, { instanceId: inst.id, reason: "bench", mode: "graceful" }, actor).catch(() => null);
    if (!paused) continue;
    await waitUntil(async () => {
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(stepRuns).where(sql`${stepRuns.instanceId} = ${inst.id} and ${stepRuns.status} = 'running'`);
      return row!.n === 0;
    }, 0);
    samples.push(performance.now() - before);
  }
  await worker.stop();
  return samples;
}

/** The statements of the last round, dearest first, per step (see PG_STATS). */
async function printStatementStats(client: postgres.Sql, steps: number): Promise<void> {
  const rows = await client<{ calls: number; exec_us: number; plan_us: number; rows: number; query: string }[]>`
    select calls::int, (total_exec_time * 1000 / ${steps}::int)::float8 as exec_us, (total_plan_time * 1000 / ${steps}::int)::float8 as plan_us, rows::int,
      regexp_replace(left(query, 400), '[[:space:]]+', ' ', 'g') as query
    from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
    order by total_exec_time + total_plan_time desc limit 15`;
  say("  statements, per step: µs executing + µs planning, calls, rows");
  for (const r of rows) say(`    ${r.exec_us.toFixed(1).padStart(7)} + ${r.plan_us.toFixed(1).padStart(5)}  ${String(r.calls).padStart(6)} ${String(r.rows).padStart(6)}  ${r.query}`);
}

const loadAtStart = os.loadavg();
function machine(): string {
  const cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown CPU";
  const nproc = execSync("nproc").toString().trim();
  // The load average says whether other work shared the machine: these figures are only comparable within one run.
  return `${nproc} CPUs (nproc), ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, PostgreSQL (embedded, fsync off); load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(" / ")}`;
}

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "flowgate-bench-"));
  const cluster = await startEmbeddedPostgres({
    dir: path.join(dir, "data"),
    port: await freePort(),
    persistent: false,
    extraFlags: PG_STATS ? ["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track_planning=on"] : [],
  });
  postmasterPid = Number(readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
  try {
    await ensureDatabase(cluster.url(), "bench");
    const url = cluster.url("bench");
    await migrateDatabase(url);
    const { db, sql: client } = createDb(url, { max: 4 });
    await registerDefinitions(db, catalog);
    if (PG_STATS) await client`create extension if not exists pg_stat_statements`;

    type Figures = { concurrency: number; ours: Run; graphile: Run; graphileTuned: Run };
    const none: Run = { rate: 0, nodeUsPerStep: 0, pgUsPerStep: 0 };
    const faster = (a: Run, b: Run) => (b.rate > a.rate ? b : a);
    const figures: Figures[] = [];
    for (const concurrency of CONCURRENCIES) {
      say(`throughput at concurrency ${concurrency}: ${CHAINS * CHAIN_LENGTH} no-op steps (${CHAINS} chains of ${CHAIN_LENGTH}) vs as many no-op graphile-worker jobs, best of ${ROUNDS} alternating rounds`);
      const best: Figures = { concurrency, ours: none, graphile: none, graphileTuned: none };
      for (let round = 1; round <= ROUNDS; round++) {
        const ours = await ourThroughput(db, client, url, concurrency);
        if (PG_STATS) await printStatementStats(client, CHAINS * CHAIN_LENGTH);
        best.ours = faster(best.ours, ours);
        if (process.env.BENCH_ONLY === "flowgate") {
          say(`  round ${round}: flowgate ${ours.rate.toFixed(0)} steps/s (CPU per step: ${cpu(ours)})`);
          continue;
        }
        const graphile = await graphileThroughput(client, url, concurrency, false);
        const tuned = await graphileThroughput(client, url, concurrency, true);
        best.graphile = faster(best.graphile, graphile);
        best.graphileTuned = faster(best.graphileTuned, tuned);
        say(`  round ${round}: flowgate ${ours.rate.toFixed(0)} steps/s (${cpu(ours)}), graphile-worker ${graphile.rate.toFixed(0)} jobs/s (${cpu(graphile)}) with defaults, ${tuned.rate.toFixed(0)} jobs/s (${cpu(tuned)}) with local queue + batched completion`);
      }
      figures.push(best);
    }
    if (process.env.BENCH_ONLY === "flowgate") return;

    say(`resume → next step started, ${LATENCY_SAMPLES} checkpoint resumes, one at a time`);
    const resume = await resumeLatency(db, url);
    say(`graceful pause → fully paused (no step in flight), ${LATENCY_SAMPLES} pauses of busy instances`);
    const pause = await pauseLatency(db, url);
    await client.end();

    const rows = [
      ...figures.flatMap((f) => [
        [`no-op step throughput, Flowgate worker, concurrency ${f.concurrency}`, `${f.ours.rate.toFixed(0)} steps/s (CPU per step: ${cpu(f.ours)})`],
        [`no-op job throughput, graphile-worker 0.18 defaults, concurrency ${f.concurrency}`, `${f.graphile.rate.toFixed(0)} jobs/s (CPU per job: ${cpu(f.graphile)})`],
        [`no-op job throughput, graphile-worker 0.18 with localQueue 50 + batched completion, concurrency ${f.concurrency}`, `${f.graphileTuned.rate.toFixed(0)} jobs/s (CPU per job: ${cpu(f.graphileTuned)})`],
        [`Flowgate ÷ graphile-worker at concurrency ${f.concurrency} (defaults / tuned)`, `${(f.ours.rate / f.graphile.rate).toFixed(2)}× / ${(f.ours.rate / f.graphileTuned.rate).toFixed(2)}×`],
      ]),
      ["resume → next step started, p50 / p95", `${median(resume).toFixed(1)} ms / ${percentile(resume, 95).toFixed(1)} ms`],
      ["graceful pause → fully paused, p50 / p95", `${median(pause).toFixed(1)} ms / ${percentile(pause, 95).toFixed(1)} ms`],
    ];
    console.log();
    for (const [what, value] of rows) console.log(`  ${what!.padEnd(100)} ${value}`);

    const date = new Date().toISOString().slice(0, 10);
    const doc = `Measured by \`npm run bench:engine\` (bench/engine.ts) on ${date}.
Machine: ${machine()}.

| figure | value |
|---|---|
${rows.map(([what, value]) => `| ${what} | ${value} |`).join("\n")}

How they are measured:
- **Throughput**: ${CHAINS * CHAIN_LENGTH} no-op steps (${CHAINS} instances of a ${CHAIN_LENGTH}-step chain, queued before the
  worker starts, so every step also advances its DAG and the last one completes its instance with
  a history row and an event) against the same number of no-op graphile-worker jobs, on the same
  embedded database in the same run, both at the same concurrency (${CONCURRENCIES.join(", ")}), one worker process (the
  benchmark's). Best of ${ROUNDS} alternating rounds; time from worker start to the last step done.
  graphile-worker is shown with its defaults and with its local queue and batched completion on.
- **Resume → next step started**: an instance paused at a \`pauseBefore\` checkpoint is resumed
  through \`resumeInstance\`; from just before that call to the \`started_at\` the claim wrote for the
  step. Includes the resume transaction, the NOTIFY and the claim. ${resume.length} samples, one at a time.
- **Graceful pause → fully paused**: a 40-step chain of 3 ms steps is paused (graceful) while running;
  from just before \`pauseInstance\` to the moment no step run of the instance is \`running\` (the
  in-flight step finished and was recorded). Polled, so it includes up to one polling round trip.
  ${pause.length} samples.

Targets (issue 3): throughput ≥ 1.0× graphile-worker; resume → start p95 < 50 ms.

Reading the figures:
${figures.map((f) => `- Concurrency ${f.concurrency}: ${(f.ours.rate / f.graphile.rate).toFixed(2)}× graphile-worker's defaults, so the target is ${f.ours.rate >= f.graphile.rate ? "met" : "not met"}; ${(f.ours.rate / f.graphileTuned.rate).toFixed(2)}× its local queue.`).join("\n")}
- A Flowgate step is not a queue job. Finishing one is a DAG transition under the instance's row
  lock: the run's result, the context merge, the successors (started in the same statement when
  a slot is free, so they need no claim), the instance row, and on the last step the completion
  with a hash-chained history row and an event. A queue job is one lock and one delete.
- The worker writes a batch of transitions with one statement. When it settled the instance's
  previous step itself, it plans from what it wrote (checked against the row version under the
  lock): one round trip per batch, else two. Batches grow with the steps in flight. At
  concurrency 1 every step is a batch of one, which is why graphile-worker's two cheap
  statements per job beat one heavy statement per step there.
- graphile-worker's local queue fetches up to 50 jobs ahead and completes them in batches, so a
  job can start long after it was fetched. Flowgate has no such read-ahead: a step starts only in
  the statement that checked, under the row lock, that its instance is running. A step fetched
  ahead could start after a pause had committed, which is the one thing a pause promises never to allow.
- The machine is shared with other work; figures move by a third or more between runs. Compare within one run only.
`;
    // Only this benchmark's section is replaced: BENCHMARKS.md also holds other benchmarks' figures.
    const section = `<!-- bench:engine:start -->\n## Engine\n\n${doc.trim()}\n<!-- bench:engine:end -->`;
    const current = existsSync("BENCHMARKS.md") ? readFileSync("BENCHMARKS.md", "utf8") : "# Benchmarks\n";
    const marked = /<!-- bench:engine:start -->[\s\S]*<!-- bench:engine:end -->/;
    writeFileSync("BENCHMARKS.md", marked.test(current) ? current.replace(marked, () => section) : current.replace(/^(# .*\n)/, (h) => `${h}\n${section}\n`));
    say("wrote BENCHMARKS.md");
    const summary: SummaryRow[] = [
      ...figures.flatMap((f): SummaryRow[] => [
        { measure: `no-op steps/s, concurrency ${f.concurrency} (reference: graphile-worker defaults)`, ours: Math.round(f.ours.rate), unit: "steps/s", reference: Math.round(f.graphile.rate) },
        { measure: `Flowgate ÷ graphile-worker, concurrency ${f.concurrency}`, ours: Number((f.ours.rate / f.graphile.rate).toFixed(2)), unit: "×", target: 1, better: "min" },
      ]),
      { measure: "resume → next step started, p95", ours: Number(percentile(resume, 95).toFixed(1)), unit: "ms", target: 50, better: "max" },
      { measure: "graceful pause → fully paused, p95", ours: Number(percentile(pause, 95).toFixed(1)), unit: "ms" },
    ];
    say(`summary: ${await writeSummary("engine", `${CHAINS * CHAIN_LENGTH} steps, ${ROUNDS} round(s)`, summary)}`);
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
