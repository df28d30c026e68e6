/**
 * The e2e stack: a new throwaway Postgres cluster, migrated and seeded with the demo data,
 * then the production build of the dashboard and a worker against it. Nothing is shared
 * with `npm start`'s .data/ or with another run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDb } from "@/db/client";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { seedDatabase } from "@/db/seed";
import { freePort } from "@/test/support/free-port";
import { STATE_FILE } from "./state";

async function main() {
  if (!existsSync(".next/BUILD_ID")) throw new Error("No production build: run `npx next build` first (npm test does)");
  const dir = await mkdtemp(path.join(os.tmpdir(), "flowgate-e2e-pg-"));
  const cluster = await startEmbeddedPostgres({ dir: path.join(dir, "data"), port: await freePort(), persistent: false });
  await ensureDatabase(cluster.url(), "flowgate_e2e");
  const ownerUrl = cluster.url("flowgate_e2e");
  // The dashboard and worker connect as the least-privileged app role, as under `npm start`.
  const url = appRoleUrl(ownerUrl);
  await migrateDatabase(ownerUrl, { appUrl: url });
  const { sql, db } = createDb(ownerUrl, { max: 2 });
  await seedDatabase(db, { demo: true });
  await sql.end();
  await mkdir(path.dirname(STATE_FILE), { recursive: true });
  await writeFile(STATE_FILE, url);

  // FLOWGATE_OUTBOUND_ALLOW: the specs' webhook and chat receivers listen on loopback, which the SSRF guard refuses otherwise.
  const env = { ...process.env, DATABASE_URL: url, FLOWGATE_OUTBOUND_ALLOW: "127.0.0.1/32,::1/128", FLOWGATE_DEMO: "1", NODE_ENV: "production" as const, NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn" };
  const children: ChildProcess[] = [
    spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", process.env.E2E_PORT ?? "3100"], { stdio: "inherit", env }),
  ];
  if (existsSync("engine/worker.ts")) {
    children.push(spawn(process.execPath, ["--import", "tsx", "engine/main.ts"], { stdio: "inherit", env: { ...env, FLOWGATE_DEMO_SPEED: "4", FLOWGATE_SERVICE: "worker" } }));
  }
  const stop = async () => {
    for (const child of children) child.kill("SIGTERM");
    await cluster.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
