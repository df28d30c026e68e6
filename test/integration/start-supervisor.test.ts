/**
 * `npm start` as a supervisor, for real: `node --import tsx scripts/start.ts` on a throwaway
 * data folder and ports. A killed worker, dashboard or PostgreSQL is restarted (and logged) while
 * the rest keeps running, the dashboard answers /api/health again after the database came back
 * without being restarted itself, and SIGTERM or SIGINT stops everything, PostgreSQL included,
 * with exit 0. It serves the production build, so it needs `.next/BUILD_ID` (`npm run build`).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { liveCluster } from "@/db/embedded";
import { freePort } from "../support/free-port";
import { waitFor } from "../support/worker";

const hasBuild = existsSync(path.join(process.cwd(), ".next", "BUILD_ID"));
// `npm test` builds before Vitest runs, so there this always runs; only a bare `npm run test:unit`
// on a fresh checkout skips it, and says so rather than passing in silence.
if (!hasBuild) console.warn("start-supervisor: no production build (.next/BUILD_ID); run `npm run build` first. SKIPPED");
const roots: string[] = [];
const started: ChildProcess[] = [];
afterAll(async () => {
  // A failed test must not leave a supervisor (and its database) behind.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const root of roots) {
    const live = await liveCluster(path.join(root, "pg"));
    if (live) process.kill(live.pid, "SIGQUIT");
    await rm(root, { recursive: true, force: true });
  }
});

type Boot = { child: ChildProcess; out: () => string; root: string; port: number; exit: Promise<number | null> };

async function boot(): Promise<Boot> {
  const root = await mkdtemp(path.join(os.tmpdir(), "flowgate-start-"));
  roots.push(root);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, FLOWGATE_DATA_DIR: root, FLOWGATE_PG_PORT: String(await freePort()), PORT: String(port), LOG_LEVEL: "warn", NODE_ENV: "production" };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out: () => out, root, port, exit };
}

/** The supervisor's child running `name` ("worker": engine/main.ts; "dashboard": next start), from ps. */
function childPid(b: Boot, name: "worker" | "dashboard"): number | undefined {
  // `next start` renames its process to "next-server (vX)".
  const markers = name === "worker" ? ["engine/main.ts"] : ["next-server", "next/dist/bin/next start"];
  let rows = "";
  try {
    rows = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(b.child.pid)], { encoding: "utf8" });
  } catch {
    return undefined; // ps exits 1 when there is no child at all
  }
  const row = rows.split("\n").find((line) => markers.some((marker) => line.includes(marker)));
  return row ? Number(row.trim().split(/\s+/)[0]) : undefined;
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function healthy(b: Boot): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${b.port}/api/health`, { signal: AbortSignal.timeout(5_000) })).status === 200;
  } catch {
    return false;
  }
}
const explain = (b: Boot) => (e: unknown) => {
  throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- npm start said:\n${b.out().slice(-4000)}`);
};

describe.skipIf(!hasBuild)("npm start supervises its processes", () => {
  it("restarts a killed worker, dashboard and PostgreSQL, and stops everything on SIGTERM", async () => {
    const b = await boot();
    const pg = path.join(b.root, "pg");
    try {
      await waitFor("the dashboard to answer", () => healthy(b), 240_000, 250);
      const worker = await waitFor("the worker to start", async () => childPid(b, "worker"), 60_000);
      const dashboard = childPid(b, "dashboard");
      expect(dashboard).toBeDefined();

      // The worker dies: it alone is started again; the supervisor and the database stay up.
      process.kill(worker, "SIGKILL");
      const worker2 = await waitFor("a new worker", async () => { const pid = childPid(b, "worker"); return pid !== undefined && pid !== worker && pid; }, 60_000, 100);
      expect(b.out()).toContain("worker restarted");
      expect(b.child.exitCode).toBeNull();
      expect(childPid(b, "dashboard")).toBe(dashboard);

      // The dashboard dies: the same, and it answers again.
      process.kill(dashboard!, "SIGKILL");
      const dashboard2 = await waitFor("a new dashboard", async () => { const pid = childPid(b, "dashboard"); return pid !== undefined && pid !== dashboard && pid; }, 60_000, 100);
      await waitFor("the new dashboard to answer", () => healthy(b), 120_000, 250);

      // PostgreSQL dies: it is started again on the same data and port, and the running dashboard
      // recovers by itself (its pid is unchanged).
      const before = await liveCluster(pg);
      expect(before).not.toBeNull();
      process.kill(before!.pid, "SIGKILL");
      await waitFor("PostgreSQL restarted", async () => b.out().includes("PostgreSQL restarted"), 120_000, 250);
      const after = await liveCluster(pg);
      expect(after?.pid).not.toBe(before!.pid);
      await waitFor("the dashboard to answer after the database came back", () => healthy(b), 60_000, 250);
      expect(childPid(b, "dashboard")).toBe(dashboard2);

      // SIGTERM: children, then the database, then exit 0.
      const children = [childPid(b, "worker") ?? worker2, dashboard2];
      b.child.kill("SIGTERM");
      expect(await b.exit).toBe(0);
      expect(await liveCluster(pg)).toBeNull();
      expect(children.filter(alive)).toEqual([]);
    } catch (error) {
      explain(b)(error);
    }
  }, 600_000);

  it("stops everything, PostgreSQL included, on SIGINT", async () => {
    const b = await boot();
    try {
      await waitFor("the dashboard to answer", () => healthy(b), 240_000, 250);
      const live = await liveCluster(path.join(b.root, "pg"));
      expect(live).not.toBeNull();
      const children = [await waitFor("the worker to start", async () => childPid(b, "worker"), 60_000), childPid(b, "dashboard")!];
      b.child.kill("SIGINT");
      expect(await b.exit).toBe(0);
      expect(alive(live!.pid)).toBe(false);
      expect(children.filter(alive)).toEqual([]);
    } catch (error) {
      explain(b)(error);
    }
  }, 600_000);
});
