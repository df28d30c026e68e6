import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres } from "@/db/embedded";
import { freePort } from "@/test/support/free-port";

/** What the benchmarks that fill their own data share: a database, percentiles, their section of BENCHMARKS.md. */

/**
 * DATABASE_URL if set, else a throwaway embedded cluster in a temporary directory (named after
 * `label`) with a database `bench`; `stop` removes the throwaway one and leaves DATABASE_URL's alone.
 */
export async function benchDatabase(label: string): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const dir = await mkdtemp(path.join(os.tmpdir(), `flowgate-bench-${label}-`));
  const cluster = await startEmbeddedPostgres({ dir: path.join(dir, "data"), port: await freePort(), persistent: false });
  await ensureDatabase(cluster.url(), "bench");
  return {
    url: cluster.url("bench"),
    stop: async () => {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The p-th percentile (0–100) of values already sorted ascending: the nearest rank below. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Puts `section` between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->` in
 * BENCHMARKS.md (it must carry those markers), replacing the previous figures or appending them;
 * the other benchmarks' sections are left as they are.
 */
export async function writeBenchmarkSection(name: string, section: string): Promise<void> {
  const file = path.resolve("BENCHMARKS.md");
  const marked = new RegExp(`<!-- bench:${name}:start -->[\\s\\S]*<!-- bench:${name}:end -->`);
  const current = await readFile(file, "utf8").catch(() => "# Benchmarks\n");
  await writeFile(file, marked.test(current) ? current.replace(marked, () => section) : `${current.trimEnd()}\n\n${section}\n`);
}

/**
 * One line of a benchmark's machine-readable summary, which `npm run bench` (bench/all.ts)
 * collects into one table: what was measured, our figure, and what it is held against (a
 * reference system's figure measured in the same run, or a target), with whether it passes.
 */
export type SummaryRow = {
  measure: string;
  /** Our figure, in `unit`. */
  ours: number;
  unit: string;
  /** A reference measured in the same run (another system, the old code), if any, in `unit`. */
  reference?: number;
  /** The target, in `unit`, if any. */
  target?: number;
  /** How `ours` must stand against the target: "max" (at most, a latency) or "min" (at least, a rate or ratio). */
  better?: "max" | "min";
};

/**
 * Writes `{ bench, size, rows }` as JSON to `$BENCH_SUMMARY_DIR/<bench>.json` (bench/all.ts sets it)
 * or, without it, to `<tmpdir>/flowgate-bench/<bench>.json`; returns the path. Each row's `pass` is
 * computed here from target and `better` (true/false), or null where there is no target.
 */
export async function writeSummary(bench: string, size: string, rows: SummaryRow[]): Promise<string> {
  const dir = process.env.BENCH_SUMMARY_DIR ?? path.join(os.tmpdir(), "flowgate-bench");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${bench}.json`);
  const judged = rows.map((r) => ({
    ...r,
    pass: r.target === undefined ? null : (r.better ?? "max") === "max" ? r.ours <= r.target : r.ours >= r.target,
  }));
  await writeFile(file, `${JSON.stringify({ bench, size, at: new Date().toISOString(), rows: judged }, null, 2)}\n`);
  return file;
}

/** Waits until `${base}/api/health` answers 2xx, checking every 100 ms; throws after 60 s. */
export async function waitForHealth(base: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await fetch(`${base}/api/health`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base} did not become healthy within 60 s`);
}

/** The uuid the API benchmarks give their k-th instance (bench:api, bench:scale), so a client can name it without reading it back. */
export const benchInstanceId = (k: number): string => k.toString(16).padStart(32, "0").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");

/**
 * Closed-loop load on the pause and resume routes: client c sends to `bases[c % bases.length]`
 * and, until `seconds` pass, pauses one of its own `perClient` instances (ids
 * benchInstanceId(c * perClient + 1 …)) and then resumes it (a started pair is finished). Every
 * request carries the bearer `token`. Latency is per request in milliseconds, timed in this
 * process; `errors` counts answers that were not 2xx.
 */
export async function pauseResumeLoad(bases: string[], token: string, clients: number, seconds: number, perClient: number): Promise<{ ops: number; errors: number; seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let errors = 0;
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const call = async (url: string, body: unknown) => {
    const t0 = performance.now();
    const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
    await response.arrayBuffer();
    latencies.push(performance.now() - t0);
    if (!response.ok) errors++;
  };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const base = bases[c % bases.length]!;
      while (performance.now() < deadline) {
        const id = benchInstanceId(c * perClient + 1 + Math.floor(Math.random() * perClient));
        await call(`${base}/api/v1/instances/${id}/pause`, { reason: "bench: pause", mode: "graceful" });
        await call(`${base}/api/v1/instances/${id}/resume`, { reason: "bench: resume" });
      }
    }),
  );
  return { ops: latencies.length, errors, seconds: (performance.now() - started) / 1000, latencies };
}
