/**
 * The instance list updates from the live stream, not from polling: a pause made through the REST
 * API shows on an open list, whose fallback poll (FLOWGATE_FALLBACK_POLL_MS) is an hour, far past
 * this test's timeout; and one committed between the list's server render and its stream connecting
 * (which sends that tab no event) shows once the stream connects. Its own cluster and server, so
 * that setting touches no other spec.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { expect, test } from "@playwright/test";
import { createDb } from "@/db/client";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres, type EmbeddedCluster } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { instances } from "@/db/schema";
import { hashPassword } from "@/lib/auth/password";
import { issueToken } from "@/lib/users/tokens";
import { createInstance, createUser } from "@/test/support/factories";
import { freePort } from "@/test/support/free-port";

const PASSWORD = "live-list-password";

test("a pause made through the API appears on an open instance list without polling, also one made before the list's stream connected", async ({ page }) => {
  test.setTimeout(180_000);
  const root = await mkdtemp(path.join(os.tmpdir(), "flowgate-live-e2e-"));
  const port = await freePort();
  const base = `http://localhost:${port}`;
  let cluster: EmbeddedCluster | null = null;
  let server: ChildProcess | null = null;
  const { sql, db } = await (async () => {
    cluster = await startEmbeddedPostgres({ dir: path.join(root, "pg"), port: await freePort(), persistent: false });
    await ensureDatabase(cluster.url(), "flowgate");
    const ownerUrl = cluster.url("flowgate");
    await migrateDatabase(ownerUrl, { appUrl: appRoleUrl(ownerUrl) });
    return createDb(ownerUrl, { max: 2 });
  })();
  try {
    const operator = await createUser(db, "operator", { email: "live@flowgate.dev", passwordHash: await hashPassword(PASSWORD) });
    const { token } = await issueToken(db, { userId: operator.id, name: "live-list", expiresInDays: "7" }, operator);
    const instance = await createInstance(db, { status: "running" });

    const env = { ...process.env, DATABASE_URL: appRoleUrl(cluster!.url("flowgate")), NODE_ENV: "production" as const, NEXT_TELEMETRY_DISABLED: "1", LOG_LEVEL: "warn", FLOWGATE_INSECURE_COOKIES: "1", FLOWGATE_FALLBACK_POLL_MS: "3600000" };
    server = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(port)], { env, stdio: "ignore" });
    await expect.poll(async () => (await fetch(`${base}/api/health`).catch(() => null))?.status ?? 0, { timeout: 90_000 }).toBe(200);

    await page.goto(`${base}/sign-in`);
    await page.getByLabel("Email").fill("live@flowgate.dev");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Instances", level: 1 })).toBeVisible();
    await page.goto(`${base}/instances?status=all`);
    await expect(page.getByText("Live", { exact: true })).toBeVisible();
    const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: `Open instance ${instance.id}` }) });
    await expect(row.getByText("Running")).toBeVisible();
    // From here on the list may ask the server only because the stream told it to.
    const listFetches: string[] = [];
    page.on("request", (r) => r.url().includes("/api/v1/instances?") && listFetches.push(r.url()));

    const response = await fetch(`${base}/api/v1/instances/${instance.id}/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "Live list check", mode: "graceful" }),
    });
    expect(response.status).toBe(200);

    await expect(row.getByText("Paused")).toBeVisible();
    await expect(row.getByText("Live list check")).toBeVisible();
    expect(listFetches.length).toBeGreaterThan(0);
    const [stored] = await db.select({ status: instances.status, reason: instances.pauseReason }).from(instances).where(eq(instances.id, instance.id));
    expect(stored).toEqual({ status: "paused", reason: "Live list check" });

    // A change that commits after the list was rendered but before its stream connected sends
    // that tab no event: the list reads itself once when the stream connects, so it still shows.
    const late = await createInstance(db, { status: "running" });
    let connect!: () => void;
    const connected = new Promise<void>((resolve) => (connect = resolve));
    await page.route("**/api/v1/stream", async (route) => {
      await connected;
      await route.continue();
    });
    await page.goto(`${base}/instances?status=all`);
    const lateRow = page.getByRole("row").filter({ has: page.getByRole("link", { name: `Open instance ${late.id}` }) });
    await expect(lateRow.getByText("Running")).toBeVisible();
    await expect(page.getByText("Polling", { exact: true })).toBeVisible();
    const paused = await fetch(`${base}/api/v1/instances/${late.id}/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "Between render and stream", mode: "graceful" }),
    });
    expect(paused.status).toBe(200);
    connect();
    await expect(page.getByText("Live", { exact: true })).toBeVisible();
    await expect(lateRow.getByText("Paused")).toBeVisible();
    await expect(lateRow.getByText("Between render and stream")).toBeVisible();
  } finally {
    server?.kill("SIGTERM");
    await sql.end();
    await (cluster as EmbeddedCluster | null)?.stop().catch(() => {});
    await rm(root, { recursive: true, force: true });
  }
});
