/**
 * `npm run bench:live`: how long a committed change takes to show on every open page.
 *
 * Starts a throwaway embedded PostgreSQL (migrated, the dashboard on the least-privileged app
 * role), `next start` (the production build: run `npx next build` first) and Chromium
 * (/usr/bin/chromium, or CHROMIUM_PATH) with three signed-in browser contexts: an operator on an
 * instance's page, another operator on the instance list (the "All" view), an approver on the
 * approvals inbox. No worker runs, so nothing but the benchmark changes the data.
 *
 * Then LIVE_ROUNDS (default 20) times: pause that instance through the REST API, resume it, and
 * approve one pending gate of another instance. For each change, the time from the API's answer
 * (the change has committed by then) to the moment each page's DOM shows the new state, seen by a
 * MutationObserver in the page, so the figure is when the browser rendered it, not when a poll looked. Prints p50/p95/max per page and change,
 * and how far the list trails the instance page for the same change; writes BENCHMARKS.md.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import { spawn, type ChildProcess } from "node:child_process";
import { chromium, type Browser, type Page } from "@playwright/test";
import { benchDatabase, percentile, writeBenchmarkSection, waitForHealth } from "./support";
import { createDb } from "@/db/client";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { hashPassword } from "@/lib/auth/password";
import { issueToken } from "@/lib/users/tokens";
import { createGatedInstance, createInstance, createUser } from "@/test/support/factories";
import { freePort } from "@/test/support/free-port";

const ROUNDS = Number(process.env.LIVE_ROUNDS ?? 20);
/** A page that has not shown a change after this long counts as a miss (reported, not waited for). */
const GIVE_UP_MS = 15_000;
const PASSWORD = "bench-live-password";
const say = (m: string) => console.log(`bench:live ${m}`);

type Sample = { change: "pause" | "resume" | "approve"; page: "instance page" | "list" | "approvals"; ms: number | null };

async function main() {
  if (!existsSync(".next/BUILD_ID")) throw new Error("No production build: run `npx next build` first");
  const database = await benchDatabase("live");
  const appUrl = appRoleUrl(database.url);
  await migrateDatabase(database.url, { appUrl });
  const { sql, db } = createDb(database.url, { max: 2 });
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  try {
    const passwordHash = await hashPassword(PASSWORD);
    const operator = await createUser(db, "operator", { email: "operator@bench.dev", passwordHash });
    const watcher = await createUser(db, "operator", { email: "watcher@bench.dev", passwordHash });
    const approver = await createUser(db, "approver", { email: "approver@bench.dev", passwordHash });
    const operatorToken = (await issueToken(db, { userId: operator.id, name: "bench:live", expiresInDays: "never" }, operator)).token;
    const approverToken = (await issueToken(db, { userId: approver.id, name: "bench:live", expiresInDays: "never" }, approver)).token;
    const watched = await createInstance(db, { status: "running" });
    // Some neighbours on the list, and one gate per round for the approver to decide.
    for (let i = 0; i < 10; i++) await createInstance(db, { status: "running" });
    const gates: { gateId: string; instanceId: string }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { gate, instance } = await createGatedInstance(db, { stage: `bench ${i}`, approverRole: "approver" });
      gates.push({ gateId: gate.id, instanceId: instance.id });
    }

    const port = await freePort();
    server = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(port)], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DATABASE_URL: appUrl, NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn" },
    });
    // localhost, not 127.0.0.1: Chromium treats it as a secure origin, so the Secure session cookie sticks.
    const base = `http://localhost:${port}`;
    await waitForHealth(base);

    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
    const open = async (email: string, path: string) => {
      const context = await browser!.newContext({ baseURL: base, viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.goto("/sign-in");
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Instances" }).waitFor();
      await page.goto(path);
      // The stream is connected once the header says so.
      await page.getByText("Live", { exact: true }).waitFor();
      return page;
    };
    const instancePage = await open(operator.email, `/instances/${watched.id}`);
    const listPage = await open(watcher.email, "/instances?status=all");
    const approvalsPage = await open(approver.email, "/approvals");
    say(`${ROUNDS} rounds: pause, resume, approve; pages open: instance, list, approvals`);

    const post = async (token: string, url: string, body: unknown) => {
      const response = await fetch(`${base}${url}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
      return Date.now();
    };
    const samples: Sample[] = [];
    /** Starts every watcher, makes the change, then waits for each page to show it. */
    const measure = async (change: Sample["change"], watchers: [Sample["page"], Promise<() => Promise<number | null>>][], act: () => Promise<number>) => {
      const installed = await Promise.all(watchers.map(async ([page, watch]) => [page, await watch] as const));
      const committed = await act();
      for (const [page, seen] of installed) {
        const at = await seen();
        samples.push({ change, page, ms: at === null ? null : at - committed });
      }
    };
    for (let round = 0; round < ROUNDS; round++) {
      await measure("pause", [["instance page", statusShown(instancePage, watched.id, "paused", false)], ["list", statusShown(listPage, watched.id, "paused", true)]], () =>
        post(operatorToken, `/api/v1/instances/${watched.id}/pause`, { reason: "bench:live pause", mode: "graceful" }),
      );
      await measure("resume", [["instance page", statusShown(instancePage, watched.id, "running", false)], ["list", statusShown(listPage, watched.id, "running", true)]], () =>
        post(operatorToken, `/api/v1/instances/${watched.id}/resume`, { reason: "bench:live resume" }),
      );
      const { gateId, instanceId } = gates[round]!;
      await measure("approve", [["approvals", gateGone(approvalsPage, gateId)], ["list", statusShown(listPage, instanceId, "running", true)]], () =>
        post(approverToken, `/api/v1/gates/${gateId}/approve`, { comment: "bench:live approve" }),
      );
      const last = samples.slice(-6).map((s) => `${s.change}/${s.page} ${s.ms ?? "miss"}`);
      say(`round ${round + 1}: ${last.join(", ")}`);
    }
    await record(samples);
  } finally {
    await browser?.close();
    server?.kill("SIGTERM");
    await sql.end();
    await database.stop();
  }
}

/** What a page must show: an instance's status badge (in its list row, or the page's heading), or a gate's card gone. */
type Shown = { kind: "status"; instanceId: string; status: string; inList: boolean } | { kind: "gate gone"; gateId: string };

let watchers = 0;

/**
 * Installs a MutationObserver in the page that notes the page's Date.now() at the first DOM
 * mutation after which `what` holds (or at once if it already does), and gives up after
 * GIVE_UP_MS. Resolves once installed, with a function that waits for that time (null: a miss).
 * Installed before the change is made, so a render that comes quickly is not missed.
 * (Playwright's waitForFunction polls by timer or animation frame only.)
 */
async function whenShown(page: Page, what: Shown): Promise<() => Promise<number | null>> {
  const key = `__benchLive${++watchers}`;
  // tsx (esbuild, keepNames) wraps the inner arrow functions below in __name(), which the page lacks.
  await page.evaluate("globalThis.__name ??= (f) => f");
  await page.evaluate(
    ({ what, giveUpMs, key }) => {
      const holds = () => {
        if (what.kind === "gate gone") return !document.getElementById(`gate-${what.gateId}`);
        // The list's table row (the phone layout's card list is hidden at 1440 px); the instance page's heading.
        const scope = what.inList ? document.querySelector(`tr a[aria-label="Open instance ${what.instanceId}"]`)?.closest("tr") : document.querySelector("main h1");
        return !!scope?.querySelector(`[data-status="${what.status}"]`);
      };
      (window as unknown as Record<string, Promise<number | null>>)[key] = new Promise<number | null>((resolve) => {
        if (holds()) return resolve(Date.now());
        const observer = new MutationObserver(() => {
          if (!holds()) return;
          observer.disconnect();
          clearTimeout(timer);
          resolve(Date.now());
        });
        const timer = setTimeout(() => {
          observer.disconnect();
          resolve(null);
        }, giveUpMs);
        observer.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      });
    },
    { what, giveUpMs: GIVE_UP_MS, key },
  );
  return () => page.evaluate((key) => (window as unknown as Record<string, Promise<number | null>>)[key]!, key);
}

const statusShown = (page: Page, instanceId: string, status: string, inList: boolean) => whenShown(page, { kind: "status", instanceId, status, inList });
const gateGone = (page: Page, gateId: string) => whenShown(page, { kind: "gate gone", gateId });



async function record(samples: Sample[]) {
  const rows: string[] = [];
  const keys = [...new Set(samples.map((s) => `${s.change}|${s.page}`))];
  for (const key of keys) {
    const [change, page] = key.split("|");
    const mine = samples.filter((s) => `${s.change}|${s.page}` === key);
    const seen = mine.flatMap((s) => (s.ms === null ? [] : [s.ms])).sort((a, b) => a - b);
    const misses = mine.length - seen.length;
    const fmt = (v: number | undefined) => (v === undefined ? "–" : `${Math.round(v)}`);
    rows.push(`| ${change} | ${page} | ${mine.length} | ${fmt(seen.length ? percentile(seen, 50) : undefined)} | ${fmt(seen.length ? percentile(seen, 95) : undefined)} | ${fmt(seen.at(-1))} | ${misses} |`);
  }
  // How far the list trails the instance page for the same change (positive: the list is later).
  const gaps: number[] = [];
  for (const change of ["pause", "resume"] as const) {
    const onPage = samples.filter((s) => s.change === change && s.page === "instance page");
    const onList = samples.filter((s) => s.change === change && s.page === "list");
    onPage.forEach((s, i) => {
      const l = onList[i]?.ms;
      if (s.ms !== null && l !== null && l !== undefined) gaps.push(l - s.ms);
    });
  }
  const absGaps = gaps.map(Math.abs).sort((a, b) => a - b);
  const load = os.loadavg().map((l) => l.toFixed(2)).join(" / ");
  const section = [
    "<!-- bench:live:start -->",
    "## Live updates: from commit to every open page",
    "",
    `Measured by \`npm run bench:live\` (bench/live.ts) on ${new Date().toISOString().slice(0, 10)}. Machine: ${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}; \`next start\`, embedded PostgreSQL, Chromium; load average at the end ${load}.`,
    `Each change is made through the REST API; the time runs from the API's answer (the change has committed) to the moment the page's DOM shows it (a MutationObserver in the page). ${ROUNDS} rounds; a miss is a page that had not shown the change after ${GIVE_UP_MS / 1000} s.`,
    "",
    "| change | page | samples | p50 ms | p95 ms | max ms | misses |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    absGaps.length ? `The list against the instance page, same change (pause, resume): |difference| p50 ${Math.round(percentile(absGaps, 50))} ms, p95 ${Math.round(percentile(absGaps, 95))} ms, max ${Math.round(absGaps.at(-1)!)} ms.` : "No pair of samples to compare the list with the instance page.",
    "<!-- bench:live:end -->",
  ].join("\n");
  if (process.env.BENCH_NO_WRITE !== "1") await writeBenchmarkSection("live", section);
  console.log(section);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
