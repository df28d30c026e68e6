/**
 * `npm run bench:api`: what a pause or resume costs through the REST API against the same
 * transaction run bare by pgbench (bench/api-pause-resume.sql, statement for statement what
 * lib/instances/pause-instance.ts and resume-instance.ts send), on one throwaway embedded
 * PostgreSQL with fsync on and pg_stat_statements loaded.
 *
 * Each client owns API_PER_CLIENT running instances that no worker advances, and alternates: pause
 * one (graceful, with a reason), then resume it. Both sides run at each of API_CLIENTS (default
 * 1,8,32) concurrent clients for API_SECONDS (default 10) seconds, API_ROUNDS (default 3) times,
 * alternating which side goes first so machine noise hits both. Per run: operations/s, p50/p95/p99
 * latency of one operation, errors, and per operation: statements, commits, WAL fsyncs (pg_stat_io),
 * CPU milliseconds of the Next.js server and of PostgreSQL. The API side drives `next start` (the
 * production build: run `npx next build` first) with a real API token, closed loop, keep-alive.
 * Needs pgbench on PATH (Debian: `apt-get install -y postgresql-client`). Writes BENCHMARKS.md.
 *
 * API_SERVER_NODE_FLAGS (optional): extra flags for the server's node process only, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile `next start` under the load (the profile is
 * written when the server exits at the end, which the benchmark waits for).
 * API_SERVERS (default 1): how many `next start` processes serve the API side (clients spread
 * over them round-robin), to see what a second dashboard process buys against the same transaction.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pauseResumeLoad, percentile, writeBenchmarkSection, waitForHealth } from "./support";
import { createDb } from "@/db/client";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { issueToken } from "@/lib/users/tokens";
import { createUser } from "@/test/support/factories";
import { freePort } from "@/test/support/free-port";

const CLIENTS = (process.env.API_CLIENTS ?? "1,8,32").split(",").map(Number);
const SECONDS = Number(process.env.API_SECONDS ?? 10);
const ROUNDS = Number(process.env.API_ROUNDS ?? 3);
const PER_CLIENT = Number(process.env.API_PER_CLIENT ?? 40);
/** pgbench's protocol: `extended` sends each statement unprepared, as postgres.js does here. */
const PGBENCH_MODE = process.env.PGBENCH_MODE ?? "extended";
/** Extra node flags for the server process only (not this one), split on spaces. */
const SERVER_NODE_FLAGS = (process.env.API_SERVER_NODE_FLAGS ?? "").split(" ").filter(Boolean);
/** How many `next start` processes serve the API side; clients are spread over them round-robin. */
const SERVERS = Number(process.env.API_SERVERS ?? 1);
/** Backends report their counters to the shared statistics at most every 10 s while idle (PGSTAT_IDLE_INTERVAL). */
const STATS_SETTLE_MS = 11_000;
const say = (m: string) => console.log(`bench:api ${m}`);


type Counters = { commits: number; walFsyncs: number; statements: number; serverTicks: number; postgresTicks: number; serverWrites: number; serverReads: number };
type Run = { side: "pgbench" | "api"; clients: number; ops: number; errors: number; seconds: number; latencies: number[]; per: Counters };

/** utime+stime (clock ticks) of a process, and of its reaped children when `children`. */
function ticks(pid: number, children = false): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
    // After the command name: field 3 is state, so utime is index 11, stime 12, cutime 13, cstime 14.
    return Number(fields[11]) + Number(fields[12]) + (children ? Number(fields[13]) + Number(fields[14]) : 0);
  } catch {
    return 0; // The process ended between listing and reading it.
  }
}

/**
 * Write and read system calls of `root` and its live descendants (/proc/<pid>/io syscw, syscr):
 * the server's socket writes and reads, to PostgreSQL and to the clients. Unlike CPU time, a
 * count that machine noise does not move: round trips saved show here exactly.
 */
function treeSyscalls(root: number): { writes: number; reads: number } {
  let writes = 0;
  let reads = 0;
  for (const pid of [root, ...descendants(root)]) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, "utf8");
      writes += Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0);
      reads += Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0);
    } catch {
      // gone already
    }
  }
  return { writes, reads };
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parent.set(Number(entry), Number(readFileSync(`/proc/${entry}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]));
    } catch {
      // gone already
    }
  }
  return [...parent.keys()].filter((pid) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  });
}

/** CPU ticks of `root` and every live descendant, plus the root's reaped children (exited backends). */
function treeTicks(root: number): number {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
      parent.set(Number(entry), Number(fields[1]));
    } catch {
      // gone already
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  let total = ticks(root, true);
  for (const pid of parent.keys()) if (inTree(pid)) total += ticks(pid);
  return total;
}

async function main() {
  if (!existsSync(".next/BUILD_ID")) throw new Error("No production build: run `npx next build` first");
  execFileSync("pgbench", ["--version"]);
  const dir = await mkdtemp(path.join(os.tmpdir(), "flowgate-bench-api-"));
  const port = await freePort();
  const cluster = await startEmbeddedPostgres({
    dir: path.join(dir, "data"),
    port,
    persistent: false,
    // Durable commits, as in production (throwaway clusters otherwise skip fsync), and statement counts.
    extraFlags: ["-c", "fsync=on", "-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track=all"],
  });
  await ensureDatabase(cluster.url(), "bench");
  const ownerUrl = cluster.url("bench");
  const appUrl = appRoleUrl(ownerUrl);
  await migrateDatabase(ownerUrl, { appUrl });
  const { sql, db } = createDb(ownerUrl, { max: 2 });
  const servers: ChildProcess[] = [];
  try {
    await sql`create extension if not exists pg_stat_statements`;
    const maxClients = Math.max(...CLIENTS);
    const count = (maxClients + 1) * PER_CLIENT;
    await sql`insert into workflow_definitions (key, version, name, steps) values ('bench', 1, 'Bench', '[]')`;
    await sql`insert into instances (id, definition_id, workflow_key, status, started_by_label)
      select lpad(to_hex(k), 32, '0')::uuid, (select id from workflow_definitions where key = 'bench'), 'bench', 'running', 'bench'
      from generate_series(1, ${count}) k`;
    await sql`insert into history (instance_id, seq, action, actor_label, workflow_key, hash)
      select id, 1, 'started', 'bench', 'bench', md5(id::text) from instances`;
    await sql`analyze`;
    const user = await createUser(db, "operator", { email: "bench@flowgate.dev" });
    const { token } = await issueToken(db, { userId: user.id, name: "bench:api", expiresInDays: "never" }, user);
    say(`${count} running instances, ${maxClients} clients at most, ${ROUNDS} rounds of ${SECONDS} s per side and client count`);

    const bases: string[] = [];
    for (let i = 0; i < SERVERS; i++) {
      const httpPort = await freePort();
      servers.push(
        spawn(process.execPath, [...SERVER_NODE_FLAGS, "node_modules/next/dist/bin/next", "start", "-p", String(httpPort)], {
          stdio: ["ignore", "ignore", "inherit"],
          env: { ...process.env, DATABASE_URL: appUrl, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn" },
        }),
      );
      bases.push(`http://127.0.0.1:${httpPort}`);
    }
    for (const base of bases) await waitForHealth(base);
    const postmaster = Number(readFileSync(path.join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);

    const serverSyscalls = () => {
      const each = servers.map((server) => treeSyscalls(server.pid!));
      return { serverWrites: each.reduce((a, x) => a + x.writes, 0), serverReads: each.reduce((a, x) => a + x.reads, 0) };
    };
    const counters = async (): Promise<Counters> => {
      const [row] = await sql<{ commits: string; fsyncs: string; statements: string }[]>`
        select (select xact_commit from pg_stat_database where datname = current_database()) as commits,
               (select coalesce(sum(fsyncs), 0) from pg_stat_io where object = 'wal') as fsyncs,
               (select coalesce(sum(calls), 0) from pg_stat_statements s join pg_database d on d.oid = s.dbid
                 where d.datname = current_database() and s.query not ilike '%pg_stat%' and s.query not ilike '%bench_reset%') as statements`;
      return { commits: Number(row!.commits), walFsyncs: Number(row!.fsyncs), statements: Number(row!.statements), serverTicks: servers.reduce((a, server) => a + treeTicks(server.pid!), 0), postgresTicks: treeTicks(postmaster), ...serverSyscalls() };
    };
    // Every client's instances back to running (a run can stop between a pause and its resume).
    const reset = () => sql`update instances set status = 'running', paused_from_status = null, paused_at = null, paused_by_id = null,
      paused_by_label = null, pause_reason = null, pause_mode = null, pause_kind = null /* bench_reset */ where status = 'paused'`;

    // Warm up both paths (JIT, route compilation, plan caches) before anything counts.
    await pauseResumeLoad(bases, token, 4, 3, PER_CLIENT);
    await reset();
    await pgbench(ownerUrl, 4, 3, dir);
    await reset();

    const runs: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const clients of CLIENTS) {
        const order: Run["side"][] = (round + CLIENTS.indexOf(clients)) % 2 === 0 ? ["pgbench", "api"] : ["api", "pgbench"];
        for (const side of order) {
          await reset();
          await sleep(STATS_SETTLE_MS);
          const before = await counters();
          const load = side === "api" ? await pauseResumeLoad(bases, token, clients, SECONDS, PER_CLIENT) : await pgbench(ownerUrl, clients, SECONDS, dir);
          // System calls are counted as they happen: read them before the settle, whose idle time is not the load's.
          const syscallsAfter = serverSyscalls();
          await sleep(STATS_SETTLE_MS);
          const after = { ...(await counters()), ...syscallsAfter };
          const per = (key: keyof Counters) => (after[key] - before[key]) / Math.max(1, load.ops);
          const run: Run = { side, clients, ...load, per: { commits: per("commits"), walFsyncs: per("walFsyncs"), statements: per("statements"), serverTicks: per("serverTicks"), postgresTicks: per("postgresTicks"), serverWrites: per("serverWrites"), serverReads: per("serverReads") } };
          runs.push(run);
          const sorted = [...run.latencies].sort((a, b) => a - b);
          say(`round ${round + 1} ${side.padEnd(7)} ${String(clients).padStart(2)} clients: ${(run.ops / run.seconds).toFixed(0)} ops/s, p95 ${percentile(sorted, 95).toFixed(1)} ms, ${run.errors} errors${side === "api" ? `; server per op: ${run.per.serverWrites.toFixed(1)} write and ${run.per.serverReads.toFixed(1)} read syscalls, ${((run.per.serverTicks * 1000) / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim())).toFixed(2)} CPU ms` : ""}`);
        }
      }
    }
    await record(runs);
  } finally {
    await Promise.all(servers.map(stopServer));
    await sql.end();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** SIGTERM, then wait for the exit (next start exits on it, which is when --cpu-prof writes its profile). */
async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  server.kill("SIGTERM");
  const killer = setTimeout(() => server.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(killer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** pgbench on bench/api-pause-resume.sql; latencies from its per-transaction log (-l), in ms. */
async function pgbench(url: string, clients: number, seconds: number, dir: string): Promise<Omit<Run, "side" | "clients" | "per">> {
  const u = new URL(url);
  const logDir = await mkdtemp(path.join(dir, "pgbench-"));
  const args = ["-n", "-M", PGBENCH_MODE, "-c", String(clients), "-j", String(Math.min(clients, 2)), "-T", String(seconds), "-D", `per_client=${PER_CLIENT}`, "-D", "phase=0", "-f", "bench/api-pause-resume.sql", "-l", `--log-prefix=${path.join(logDir, "tx")}`];
  const env = { ...process.env, PGHOST: u.hostname, PGPORT: u.port, PGUSER: decodeURIComponent(u.username), PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: u.pathname.slice(1) };
  const started = performance.now();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn("pgbench", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d));
    child.stderr.on("data", (d: Buffer) => (text += d));
    child.on("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`pgbench exited ${code}:\n${text}`))));
  });
  const elapsed = (performance.now() - started) / 1000;
  const latencies: number[] = [];
  for (const file of readdirSync(logDir)) {
    for (const line of readFileSync(path.join(logDir, file), "utf8").split("\n")) {
      // client_id transaction_no time_us script_no time_epoch time_us_fraction
      const fields = line.split(" ");
      if (fields.length >= 3) latencies.push(Number(fields[2]) / 1000);
    }
  }
  await rm(logDir, { recursive: true, force: true });
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  const duration = Number(/duration: (\d+) s/.exec(out)?.[1] ?? elapsed);
  return { ops: latencies.length, errors: failed, seconds: duration, latencies };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

async function record(runs: Run[]) {
  const cpu = execFileSync("sh", ["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).toString().trim();
  const tickMs = 1000 / Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
  const summary = (side: Run["side"], clients: number) => {
    const mine = runs.filter((r) => r.side === side && r.clients === clients);
    const latencies = mine.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const m = (f: (r: Run) => number) => median(mine.map(f));
    return {
      rate: m((r) => r.ops / r.seconds),
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      errors: mine.reduce((a, r) => a + r.errors, 0),
      statements: m((r) => r.per.statements),
      commits: m((r) => r.per.commits),
      fsyncs: m((r) => r.per.walFsyncs),
      serverMs: m((r) => r.per.serverTicks) * tickMs,
      postgresMs: m((r) => r.per.postgresTicks) * tickMs,
    };
  };
  const lines: string[] = [];
  const ratios: string[] = [];
  for (const clients of CLIENTS) {
    const raw = summary("pgbench", clients);
    const api = summary("api", clients);
    for (const [name, s] of [["pgbench (same SQL, bare)", raw], ["REST API", api]] as const) {
      lines.push(`| ${clients} | ${name} | ${s.rate.toFixed(0)} | ${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.errors} | ${s.statements.toFixed(1)} | ${s.commits.toFixed(2)} | ${s.fsyncs.toFixed(2)} | ${name === "REST API" ? s.serverMs.toFixed(2) : "–"} | ${s.postgresMs.toFixed(2)} |`);
    }
    ratios.push(`${clients} client${clients === 1 ? "" : "s"}: ${(api.rate / raw.rate).toFixed(2)}×`);
  }
  const section = [
    "<!-- bench:api:start -->",
    "## Pause and resume: the REST API against the bare transaction",
    "",
    `Measured by \`${SERVERS > 1 ? `API_SERVERS=${SERVERS} ` : ""}npm run bench:api\` (bench/api.ts, bench/api-pause-resume.sql) on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${os.cpus().length} CPUs, ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}; embedded PostgreSQL with fsync on, pgbench in \`${PGBENCH_MODE}\` mode, ${SERVERS === 1 ? "one \`next start\` process" : `${SERVERS} \`next start\` processes (clients spread round-robin; server CPU is their sum)`}.`,
    `Each row: ${ROUNDS} runs of ${SECONDS} s, alternating which side goes first; rate is the median run, latencies pooled over the runs. One operation is one pause or one resume (each client alternates them on its own instances). Per operation: statements (pg_stat_statements), commits, WAL fsyncs (pg_stat_io), CPU of the Next.js server and of PostgreSQL.`,
    "",
    "| clients | side | ops/s | p50 ms | p95 ms | p99 ms | errors | statements | commits | WAL fsyncs | server CPU ms | PostgreSQL CPU ms |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...lines,
    "",
    `The API's rate against the bare transaction's, same run: ${ratios.join(", ")}.`,
    "<!-- bench:api:end -->",
  ].join("\n");
  await writeBenchmarkSection("api", section);
  console.log(section);
  await writeApiSummary(runs);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/** The machine-readable summary `npm run bench` collects (bench/support.ts writeSummary): per client count, the API's rate against the bare transaction's and its p95. */
async function writeApiSummary(runs: Run[]) {
  const { writeSummary } = await import("./support");
  const of = (side: Run["side"], clients: number) => runs.filter((r) => r.side === side && r.clients === clients);
  const rows = CLIENTS.flatMap((clients) => {
    const api = of("api", clients);
    const raw = of("pgbench", clients);
    const rate = (xs: Run[]) => median(xs.map((r) => r.ops / r.seconds));
    const p95 = percentile(api.flatMap((r) => r.latencies).sort((a, b) => a - b), 95);
    return [
      { measure: `API ÷ bare transaction, ${clients} client${clients === 1 ? "" : "s"}`, ours: Number((rate(api) / rate(raw)).toFixed(2)), unit: "×", ...(clients === 32 ? { target: 0.5, better: "min" as const } : {}) },
      { measure: `API pause/resume p95, ${clients} client${clients === 1 ? "" : "s"}`, ours: Number(p95.toFixed(1)), unit: "ms", ...(clients === 8 ? { target: 25, better: "max" as const } : {}) },
    ];
  });
  say(`summary: ${await writeSummary("api", `${ROUNDS} round(s) of ${SECONDS} s`, rows)}`);
}
