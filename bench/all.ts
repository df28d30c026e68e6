/**
 * `npm run bench`: every benchmark, one after another, then one table of their figures.
 * Runs bench:engine, bench:history, bench:lists and bench:api (package.json) with BENCH_SIZE=quick
 * unless BENCH_SIZE=full is set (the sizes the published figures use; expect an hour or more).
 * BENCH_ONLY=lists,engine runs some. Each benchmark writes a JSON summary (bench/support.ts
 * writeSummary) into a fresh directory passed as BENCH_SUMMARY_DIR; this reads those files, never
 * the benchmarks' printed tables. A benchmark that fails or cannot run here (bench:api needs
 * pgbench and a production build) is listed as such and the rest still run; the exit code is 1
 * if any failed. Each benchmark still writes its own section of BENCHMARKS.md.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

type Judged = { measure: string; ours: number; unit: string; reference?: number; target?: number; better?: "max" | "min"; pass: boolean | null };
type Summary = { bench: string; size: string; rows: Judged[] };

const FULL = process.env.BENCH_SIZE === "full";
const ALL = ["engine", "history", "lists", "api"] as const;
const ONLY = process.env.BENCH_ONLY?.split(",").map((s) => s.trim());

/** Extra settings per benchmark at the quick size (each also reads BENCH_SIZE=quick itself). */
const QUICK_ENV: Record<(typeof ALL)[number], Record<string, string>> = {
  engine: { BENCH_CONCURRENCY: "1,10" },
  history: {},
  lists: {},
  api: { API_CLIENTS: "1,8,32", API_SECONDS: "3", API_ROUNDS: "1" },
};

/** Why a benchmark cannot run on this machine now, or null. */
function missing(bench: (typeof ALL)[number]): string | null {
  const build = existsSync(".next/BUILD_ID") ? null : "no production build (run `npx next build`)";
  if (bench === "api") {
    const pgbench = ["/usr/bin/pgbench", "/usr/local/bin/pgbench", ...(process.env.PATH ?? "").split(":").map((d) => path.join(d, "pgbench"))].some((p) => existsSync(p));
    return !pgbench ? "pgbench not found (apt-get install -y postgresql-client)" : build;
  }
  if (bench === "lists" && process.env.LIST_HTTP !== "0") return build ? `${build}; or LIST_HTTP=0 for queries only` : null;
  return null;
}

function run(bench: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "--silent", `bench:${bench}`], { stdio: "inherit", env: { ...process.env, ...env } });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

const fmt = (n: number | undefined, unit: string) => (n === undefined ? "" : `${n.toLocaleString("en")} ${unit}`);

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "flowgate-bench-summary-"));
  const outcomes: { bench: string; status: string; seconds: number; summary?: Summary }[] = [];
  try {
    for (const bench of ALL.filter((b) => !ONLY || ONLY.includes(b))) {
      const why = missing(bench);
      if (why) {
        outcomes.push({ bench, status: `skipped: ${why}`, seconds: 0 });
        continue;
      }
      console.log(`\n=== bench:${bench} (${FULL ? "full" : "quick"} size) ===`);
      const t0 = performance.now();
      const code = await run(bench, { BENCH_SUMMARY_DIR: dir, ...(FULL ? {} : { BENCH_SIZE: "quick", ...QUICK_ENV[bench] }) });
      const seconds = Math.round((performance.now() - t0) / 1000);
      const file = path.join(dir, `${bench}.json`);
      const summary = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as Summary) : undefined;
      outcomes.push({ bench, status: code === 0 && summary ? "ok" : `failed (exit ${code}${summary ? "" : ", no summary"})`, seconds, summary });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const lines = [
    "| benchmark | measure | ours | reference | target | ratio | pass/miss |",
    "|---|---|---|---|---|---|---|",
    ...outcomes.flatMap((o) =>
      o.summary && o.status === "ok"
        ? o.summary.rows.map((r) => {
            const against = r.target ?? r.reference;
            const ratio = against ? `${(r.ours / against).toFixed(2)}×` : "";
            const verdict = r.pass === null ? "" : r.pass ? "pass" : "**miss**";
            return `| ${o.bench} | ${r.measure} | ${fmt(r.ours, r.unit)} | ${fmt(r.reference, r.unit)} | ${r.target === undefined ? "" : `${r.better === "min" ? "≥" : "≤"} ${fmt(r.target, r.unit)}`} | ${ratio} | ${verdict} |`;
          })
        : [`| ${o.bench} | ${o.status} | | | | | |`],
    ),
  ];
  const judged = outcomes.flatMap((o) => o.summary?.rows ?? []).filter((r) => r.pass !== null);
  console.log(`\n=== npm run bench: ${FULL ? "full" : "quick"} size, ${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" / ")} ===\n`);
  console.log(lines.join("\n"));
  console.log(`\n${judged.filter((r) => r.pass).length} of ${judged.length} figures with a target pass; ${outcomes.map((o) => `${o.bench}: ${o.status}${o.seconds ? ` in ${o.seconds} s` : ""}`).join(", ")}.`);
  console.log("Timings move with the machine's load; the ratio column compares within one run.");
  if (outcomes.some((o) => o.status.startsWith("failed"))) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
