/**
 * `npm start`: database (embedded unless DATABASE_URL), migrations, seed, production build
 * if missing, then the dashboard and the worker, until Ctrl-C.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createDb } from "@/db/client";
import { LOCAL_DATA_DIR, resolveDatabase } from "@/db/local";
import { migrateDatabase } from "@/db/migrate";
import { DEMO_PASSWORD, demoUsers, seedDatabase } from "@/db/seed";
import { verifyAndCheckpoint } from "@/lib/audit/verify-chain";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const say = (message: string) => console.log(`flowgate: ${message}`);

const NEXT_BIN = "node_modules/next/dist/bin/next";

/** Node processes started directly (not through npx), so a SIGTERM reaches the real server. */
function runNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, args, { stdio: "inherit", env });
}

async function main() {
  say(process.env.DATABASE_URL ? "using DATABASE_URL" : `starting embedded PostgreSQL under ${LOCAL_DATA_DIR}`);
  const { url, embedded } = await resolveDatabase({ attach: false });
  const demo = !process.env.DATABASE_URL || process.env.FLOWGATE_DEMO === "1";
  await migrateDatabase(url);
  say("migrations applied");
  const { sql, db } = createDb(url, { max: 2 });
  await seedDatabase(db, { demo, onProgress: (m) => say(`seed: ${m}`) });
  // Seal the history chains at every start, so the history page can say how far they are proven.
  const report = await verifyAndCheckpoint(sql);
  say(report.ok ? `history chain verified: ${report.rows} rows in ${report.chains} chains` : `HISTORY CHAIN BROKEN at row ${report.broken?.historyId}: ${report.broken?.problem}`);
  await sql.end();

  const env = { ...process.env, DATABASE_URL: url, FLOWGATE_DEMO: demo ? "1" : "0", PORT: String(port) };
  if (!dev && !existsSync(".next/BUILD_ID")) {
    say("no production build yet; building (a minute or two, once)");
    const code = await new Promise<number | null>((resolve) => runNode([NEXT_BIN, "build"], { ...env, NODE_ENV: "production" }).on("exit", resolve));
    if (code !== 0) throw new Error("next build failed");
  }

  const children = [
    runNode([NEXT_BIN, dev ? "dev" : "start", "-p", String(port)], env),
    runNode(["--import", "tsx", "engine/main.ts"], { ...env, FLOWGATE_SERVICE: "worker", FLOWGATE_DEMO_DRIVER: demo ? "1" : "0" }),
  ];
  say(`dashboard on http://localhost:${port}`);
  if (demo) {
    say(`demo sign-ins (password "${DEMO_PASSWORD}"):`);
    for (const u of demoUsers) say(`  ${u.role.padEnd(9)} ${u.email}`);
  }

  let stopping = false;
  /** Shuts down in order, children then the database, and exits with `code` (non-zero when a child failed). */
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say("stopping");
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.on("exit", r)))));
    await embedded?.stop();
    process.exit(code);
  };
  // The dashboard and worker use the database until they have stopped, so a signal stops them
  // first. (npm start runs `node --import tsx`, not the tsx CLI, whose signal relay would
  // SIGKILL us mid-shutdown once these listeners are set.)
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  for (const child of children) {
    child.on("exit", (code, signal) => {
      if (stopping) return;
      say(`a process exited (${signal ?? code}); stopping`);
      void stop(code === 0 ? 1 : (code ?? 1));
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
