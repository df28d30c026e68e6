/**
 * Issue 10 §3, as a person sees it: the dashboard on its own database, which goes away while an
 * operator works and comes back. The page says the database is unreachable (not a bare 500) and
 * shows the page again by itself once the database answers, without a restart of anything.
 * Its own cluster and server, so the shared e2e stack is never disturbed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createDb } from "@/db/client";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres, type EmbeddedCluster } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { seedDatabase } from "@/db/seed";
import { DEMO_PASSWORD } from "@/db/seed-users";
import { freePort } from "@/test/support/free-port";

test("an operator's page says the database is unreachable while it is down and comes back by itself", async ({ page }) => {
  test.setTimeout(180_000);
  const root = await mkdtemp(path.join(os.tmpdir(), "flowgate-outage-e2e-"));
  const dir = path.join(root, "pg");
  const pgPort = await freePort();
  const port = await freePort();
  const base = `http://localhost:${port}`;
  let cluster: EmbeddedCluster | null = await startEmbeddedPostgres({ dir, port: pgPort });
  let server: ChildProcess | null = null;
  try {
    await ensureDatabase(cluster.url(), "flowgate");
    const ownerUrl = cluster.url("flowgate");
    await migrateDatabase(ownerUrl, { appUrl: appRoleUrl(ownerUrl) });
    const { sql, db } = createDb(ownerUrl, { max: 2 });
    await seedDatabase(db, { demo: true });
    await sql.end();

    const env = { ...process.env, DATABASE_URL: appRoleUrl(ownerUrl), NODE_ENV: "production" as const, NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn", FLOWGATE_INSECURE_COOKIES: "1" };
    server = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(port)], { env, stdio: "ignore" });
    await expect.poll(async () => (await fetch(`${base}/api/health`).catch(() => null))?.status ?? 0, { timeout: 90_000 }).toBe(200);

    await page.goto(`${base}/sign-in`);
    await page.getByLabel("Email").fill("operator@flowgate.dev");
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Instances", level: 1 })).toBeVisible();

    await cluster.stop();
    cluster = null;
    await page.goto(`${base}/instances`);
    const alert = page.getByRole("alert").filter({ hasText: "The database is unreachable" });
    await expect(alert).toBeVisible({ timeout: 30_000 });
    await expect(alert).toContainText("reloads by itself when the database is back");
    await page.screenshot({ path: "test-results/outage/unreachable-1440.png" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: "test-results/outage/unreachable-390.png" });
    await page.setViewportSize({ width: 1440, height: 900 });

    // Back on the same port and data: the page checks every few seconds and shows itself again.
    cluster = await startEmbeddedPostgres({ dir, port: pgPort });
    await expect(page.getByRole("heading", { name: "Instances", level: 1 })).toBeVisible({ timeout: 60_000 });
    await expect(alert).toBeHidden();
  } finally {
    server?.kill("SIGTERM");
    await cluster?.stop();
    await rm(root, { recursive: true, force: true });
  }
});
