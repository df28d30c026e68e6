import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
