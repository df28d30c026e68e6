/**
 * `npm run bench:scale`: what more processes buy against one PostgreSQL, on this machine.
 *
 * 1. Workers: steps/s with 1, 2 and 4 worker processes (`npm run start:worker`, each at
 *    FLOWGATE_WORKER_CONCURRENCY 10) on SCALE_CHAINS (default 600) no-op chains of ten steps
 *    (bench/scale-catalog.ts, bench:engine's workload), queued before the workers start. Counted
 *    from the moment every worker said it was ready to the last step done, so process start-up is
 *    not in the figure.
 * 2. Dashboards: REST API pause/resume requests/s with 1 and 2 `next start` processes (`npm run
 *    start:dashboard`; the production build, run `npx next build` first), SCALE_CLIENTS (default
 *    16) closed-loop clients spread round-robin over the processes for SCALE_SECONDS (default 10),
 *    on running instances no worker advances (as bench:api does).
 *
 * SCALE_ROUNDS (default 2) runs of each, alternating the order; the median run is reported. The
 * CPU of the machine is shared by everything: on 2 cores, more processes than cores measure the
 * machine, which is the point of saying where the first limit is. Writes BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { benchDatabase, pauseResumeLoad, percentile, writeBenchmarkSection, waitForHealth } from "./support";
import { CHAIN_LENGTH, catalog } from "./scale-catalog";
import { createDb } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { startInstance } from "@/lib/instances/start-instance";
import { issueToken } from "@/lib/users/tokens";
import { registerDefinitions } from "@/lib/workflows/registry";
import { createUser } from "@/test/support/factories";
import { freePort } from "@/test/support/free-port";

const WORKERS = (process.env.SCALE_WORKERS ?? "1,2,4").split(",").map(Number);
const DASHBOARDS = (process.env.SCALE_DASHBOARDS ?? "1,2").split(",").map(Number);
const CHAINS = Number(process.env.SCALE_CHAINS ?? 600);
const CLIENTS = Number(process.env.SCALE_CLIENTS ?? 16);
const SECONDS = Number(process.env.SCALE_SECONDS ?? 10);
const ROUNDS = Number(process.env.SCALE_ROUNDS ?? 2);
const PER_CLIENT = 20;
const say = (m: string) => console.log(`bench:scale ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

type WorkerRun = { processes: number; stepsPerSecond: number };
type DashboardRun = { processes: number; requestsPerSecond: number; p95: number; errors: number };

async function main() {
  if (!existsSync(".next/BUILD_ID")) throw new Error("No production build: run `npx next build` first");
  const database = await benchDatabase("scale");
  const appUrl = appRoleUrl(database.url);
  await migrateDatabase(database.url, { appUrl });
  const { sql, db } = createDb(database.url, { max: 4 });
  const children = new Set<ChildProcess>();
  try {
    await registerDefinitions(db, catalog);
    const workerRuns: WorkerRun[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? WORKERS : [...WORKERS].reverse();
      for (const processes of order) {
        const run = await workerRun(appUrl, sql, processes, children);
        workerRuns.push(run);
        say(`round ${round + 1}: ${processes} worker process${processes === 1 ? "" : "es"}: ${run.stepsPerSecond.toFixed(0)} steps/s`);
      }
    }

    // Running instances no worker advances; each client pauses and resumes its own.
    await sql`insert into workflow_definitions (key, version, name, steps) values ('bench-api', 1, 'Bench API', '[]')`;
    await sql`insert into instances (id, definition_id, workflow_key, status, started_by_label)
      select lpad(to_hex(k), 32, '0')::uuid, (select id from workflow_definitions where key = 'bench-api'), 'bench-api', 'running', 'bench'
      from generate_series(1, ${CLIENTS * PER_CLIENT}) k`;
    await sql`insert into history (instance_id, seq, action, actor_label, workflow_key, hash)
      select id, 1, 'started', 'bench', 'bench-api', md5(id::text) from instances where workflow_key = 'bench-api'`;
    await sql`analyze`;
    const user = await createUser(db, "operator", { email: "scale@bench.dev" });
    const { token } = await issueToken(db, { userId: user.id, name: "bench:scale", expiresInDays: "never" }, user);
    const bases: string[] = [];
    for (let i = 0; i < Math.max(...DASHBOARDS); i++) {
      const port = await freePort();
      const child = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(port)], {
        stdio: ["ignore", "ignore", "inherit"],
        env: { ...process.env, DATABASE_URL: appUrl, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn" },
      });
      children.add(child);
      bases.push(`http://127.0.0.1:${port}`);
    }
    for (const base of bases) await waitForHealth(base);
    // Warm every process's routes and plans before anything counts.
    await pauseResumeLoad(bases, token, 4, 3, PER_CLIENT);
    const dashboardRuns: DashboardRun[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? DASHBOARDS : [...DASHBOARDS].reverse();
      for (const processes of order) {
        await sql`update instances set status = 'running', paused_from_status = null, paused_at = null, paused_by_id = null, paused_by_label = null, pause_reason = null, pause_mode = null, pause_kind = null where status = 'paused'`;
        const load = await pauseResumeLoad(bases.slice(0, processes), token, CLIENTS, SECONDS, PER_CLIENT);
        const sorted = [...load.latencies].sort((a, b) => a - b);
        const run = { processes, requestsPerSecond: load.latencies.length / load.seconds, p95: percentile(sorted, 95), errors: load.errors };
        dashboardRuns.push(run);
        say(`round ${round + 1}: ${processes} dashboard process${processes === 1 ? "" : "es"}: ${run.requestsPerSecond.toFixed(0)} requests/s, p95 ${run.p95.toFixed(0)} ms, ${run.errors} errors`);
      }
    }
    await record(workerRuns, dashboardRuns);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await sql.end();
    await database.stop();
  }
}

/** Queues CHAINS chains, starts `processes` worker processes, and times them from all ready to the last step done. */
async function workerRun(url: string, sql: ReturnType<typeof createDb>["sql"], processes: number, children: Set<ChildProcess>): Promise<WorkerRun> {
  const starter = createDb(url, { max: 2 });
  const ids: string[] = [];
  for (let i = 0; i < CHAINS; i++) ids.push((await startInstance(starter.db, { workflow: "bench-chain" }, { id: null, label: "bench" }, { catalog })).id);
  await starter.sql.end();
  const total = CHAINS * CHAIN_LENGTH;
  const completed = async () => Number((await sql<{ n: string }[]>`select count(*) as n from step_runs where status = 'completed' and instance_id = any(${ids}::uuid[])`)[0]!.n);
  const workers = await Promise.all(Array.from({ length: processes }, (_, i) => spawnWorker(url, `scale-${processes}-${i}-${Date.now()}`, children)));
  const started = performance.now();
  const before = await completed();
  let done = before;
  while (done < total) {
    await sleep(50);
    done = await completed();
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((w) => stopChild(w, children)));
  await sql`vacuum analyze`;
  return { processes, stepsPerSecond: (total - before) / seconds };
}

/** A worker process as `npm run start:worker` runs it; resolves once it says it is ready (IPC). */
function spawnWorker(url: string, id: string, children: Set<ChildProcess>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "engine/main.ts"], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    env: { ...process.env, DATABASE_URL: url, FLOWGATE_CATALOG: "bench/scale-catalog.ts", FLOWGATE_WORKER_ID: id, FLOWGATE_WORKER_CONCURRENCY: "10", FLOWGATE_DEMO_DRIVER: "0", LOG_LEVEL: "warn" },
  });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.on("message", (m: { type?: string }) => m?.type === "ready" && resolve(child));
    child.on("exit", (code) => reject(new Error(`worker ${id} exited (${code}) before it was ready`)));
  });
}

async function stopChild(child: ChildProcess, children: Set<ChildProcess>) {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
  children.delete(child);
}


async function record(workerRuns: WorkerRun[], dashboardRuns: DashboardRun[]) {
  const workerRate = (n: number) => median(workerRuns.filter((r) => r.processes === n).map((r) => r.stepsPerSecond));
  const dashboardOf = (n: number) => {
    const mine = dashboardRuns.filter((r) => r.processes === n);
    return { rate: median(mine.map((r) => r.requestsPerSecond)), p95: median(mine.map((r) => r.p95)), errors: mine.reduce((a, r) => a + r.errors, 0) };
  };
  const baseWorkers = workerRate(WORKERS[0]!);
  const baseDashboards = dashboardOf(DASHBOARDS[0]!).rate;
  const load = os.loadavg().map((l) => l.toFixed(2)).join(" / ");
  const section = [
    "<!-- bench:scale:start -->",
    "## Scaling out: worker and dashboard processes against one PostgreSQL",
    "",
    `Measured by \`npm run bench:scale\` (bench/scale.ts) on ${new Date().toISOString().slice(0, 10)}. Machine: ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}; one embedded PostgreSQL; every process on this one machine; load average at the end ${load}.`,
    `Median of ${ROUNDS} runs each, alternating the order. Workers: ${CHAINS} no-op chains of ${CHAIN_LENGTH} steps, each process at concurrency 10, from all ready to the last step. Dashboards: ${CLIENTS} closed-loop clients round-robin over the processes, pause then resume, ${SECONDS} s.`,
    "",
    "| processes | worker steps/s | × one worker |",
    "|---|---|---|",
    ...WORKERS.map((n) => `| ${n} | ${workerRate(n).toFixed(0)} | ${(workerRate(n) / baseWorkers).toFixed(2)}× |`),
    "",
    "| processes | API requests/s | p95 ms | errors | × one dashboard |",
    "|---|---|---|---|---|",
    ...DASHBOARDS.map((n) => {
      const d = dashboardOf(n);
      return `| ${n} | ${d.rate.toFixed(0)} | ${d.p95.toFixed(0)} | ${d.errors} | ${(d.rate / baseDashboards).toFixed(2)}× |`;
    }),
    "<!-- bench:scale:end -->",
  ].join("\n");
  if (process.env.BENCH_NO_WRITE !== "1") await writeBenchmarkSection("scale", section);
  console.log(section);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
