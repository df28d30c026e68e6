import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll } from "vitest";
import type { Db } from "@/db/client";
import { registerDefinitions } from "@/lib/workflows/registry";
import { registerResumeConditions } from "@/lib/instances/resume-conditions";
import { catalog, OBSERVATIONS_DDL } from "./test-catalog";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const TEST_CATALOG = "test/support/test-catalog.ts";

export type WorkerProcess = {
  child: ChildProcess;
  id: string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** SIGTERM (graceful) and wait for the exit. */
  stop: () => Promise<number | null>;
  /** SIGKILL: a crash, leaving leases to expire. */
  kill: () => Promise<number | null>;
  output: () => string;
};

const running = new Set<WorkerProcess>();
afterAll(async () => {
  await Promise.all([...running].map((w) => w.kill()));
});

/** Prepares a test database for engine tests: the test catalog registered, observations table, resume conditions in this process. */
export async function prepareEngineDatabase(db: Db): Promise<void> {
  await registerDefinitions(db, catalog);
  await db.execute(sql.raw(OBSERVATIONS_DDL));
  registerResumeConditions(catalog);
}

let counter = 0;

/**
 * A real worker process (`engine/main.ts` under tsx) against the test database, running the test
 * catalog. Short polling by default; leases long enough for a busy machine.
 */
export async function spawnWorker(url: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const id = `test-worker-${process.pid}-${++counter}`;
  const child = spawn(process.execPath, ["--import", "tsx", "engine/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      FLOWGATE_CATALOG: TEST_CATALOG,
      FLOWGATE_WORKER_ID: id,
      FLOWGATE_WORKER_CONCURRENCY: "8",
      // Long enough that a worker starved of CPU on a busy machine keeps its leases; tests of
      // lease expiry give the worker they let die a short one (FLOWGATE_LEASE_MS) themselves.
      FLOWGATE_LEASE_MS: "15000",
      FLOWGATE_POLL_MS: "100",
      FLOWGATE_HOOK_TIMEOUT_MS: "2000",
      FLOWGATE_SHUTDOWN_GRACE_MS: "5000",
      FLOWGATE_DEMO_DRIVER: "0",
      LOG_LEVEL: process.env.FLOWGATE_TEST_WORKER_LOG ?? "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  let stopping = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code, signal) => {
      // A worker dying on its own makes every later wait in the file time out; say why right away.
      if (!stopping) console.error(`worker ${id} exited unexpectedly (${code ?? signal}):\n${output}`);
      resolve(code);
    }),
  );
  const worker: WorkerProcess = {
    child,
    id,
    exited,
    output: () => output,
    stop: async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
  running.add(worker);
  void exited.then(() => running.delete(worker));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start in time:\n${output}`)), 30_000);
    child.on("message", (m: { type?: string }) => {
      if (m?.type === "ready") {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready:\n${output}`));
    });
  });
  return worker;
}

/** Polls until `check` returns a value other than undefined/false, or fails with `what`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** What the test catalog's steps and hooks reported for an instance, oldest first, as `step:what`. */
export async function observationsOf(db: Db, instanceId: string): Promise<string[]> {
  const rows = await db.execute<{ step: string; what: string }>(sql`select step, what from test_observations where instance_id = ${instanceId} order by id`);
  return rows.map((r) => `${r.step}:${r.what}`);
}
