/**
 * The database goes away under load and comes back (issue 10 §3): a throwaway embedded cluster
 * on a fixed port is stopped while operators pause and resume instances through the API route
 * handlers, then started again on the same port and data. While it is down every answer is a
 * 503 `unavailable` with Retry-After (never a 500), /api/health says 503, and once it is back the
 * same pool serves writes again without being recreated; every instance's status is the one its
 * last history row records, and every hash chain verifies.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, expect, it } from "vitest";
import { createDb, dashboardPoolOptions, getConnection, useConnection } from "@/db/client";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres, type EmbeddedCluster } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { history, instances } from "@/db/schema";
import { verifyChains } from "@/lib/audit/verify-chain";
import { createApiToken } from "@/lib/auth/sessions";
import { apiRequest, params } from "../support/api";
import { createInstance, createUser } from "../support/factories";
import { freePort } from "../support/free-port";
import { waitFor } from "../support/worker";

const root = await mkdtemp(path.join(os.tmpdir(), "flowgate-outage-pg-"));
const dataDir = path.join(root, "data");
const port = await freePort();
// Persistent, so stopping keeps the data and the restart finds the same database.
let cluster: EmbeddedCluster = await startEmbeddedPostgres({ dir: dataDir, port });
await ensureDatabase(cluster.url(), "flowgate");
const url = cluster.url("flowgate");
await migrateDatabase(url);
// The pool the dashboard would build for itself (getConnection), with its timeouts.
const pool = createDb(url, { max: 5, ...dashboardPoolOptions() });
useConnection(pool);
afterAll(async () => {
  await pool.sql.end({ timeout: 5 });
  await cluster.stop();
  await rm(root, { recursive: true, force: true });
});

const { POST: pauseRoute } = await import("@/app/api/v1/instances/[id]/pause/route");
const { POST: resumeRoute } = await import("@/app/api/v1/instances/[id]/resume/route");
const { GET: listRoute } = await import("@/app/api/v1/instances/route");
const { GET: healthRoute } = await import("@/app/api/health/route");

type Phase = "up" | "stopping" | "down" | "restarting" | "back";
type Call = { instanceId: string; kind: "pause" | "resume" | "list"; startedIn: Phase; endedIn: Phase; status: number; code?: string; retryAfter: string | null };

it("answers 503 with Retry-After while the database is down, and recovers by itself on the same pool", async () => {
  // Every dashboard connection carries the statement timeout (a startup parameter, so reopened ones too).
  const [setting] = await pool.sql<{ statement_timeout: string }[]>`show statement_timeout`;
  expect(setting?.statement_timeout).toBe("10s");
  const operator = await createUser(pool.db, "operator");
  const token = await createApiToken(pool.db, operator.id, "outage");
  const ids = await Promise.all(Array.from({ length: 6 }, async () => (await createInstance(pool.db)).id));

  let phase: Phase = "up";
  let done = false;
  const calls: Call[] = [];
  const record = async (instanceId: string, kind: Call["kind"], startedIn: Phase, response: Response) => {
    const body = response.status === 200 ? undefined : ((await response.json()) as { error?: { code?: string } });
    const call: Call = { instanceId, kind, startedIn, endedIn: phase, status: response.status, code: body?.error?.code, retryAfter: response.headers.get("retry-after") };
    calls.push(call);
    return call;
  };

  // One operator per instance, alternating pause and resume; a list read between them.
  const drive = async (id: string) => {
    let paused = false;
    while (!done) {
      const startedIn = phase;
      const request = apiRequest(`/api/v1/instances/${id}/${paused ? "resume" : "pause"}`, { method: "POST", token, body: { reason: "outage drill" } });
      const call = await record(id, paused ? "resume" : "pause", startedIn, await (paused ? resumeRoute : pauseRoute)(request, params({ id })));
      // 200: it happened. 409: an earlier answer was lost with the connection after its commit,
      // so the instance is already where this call wanted it.
      if (call.status === 200 || call.status === 409) paused = !paused;
      const listStartedIn = phase;
      await record(id, "list", listStartedIn, await listRoute(apiRequest("/api/v1/instances?status=all", { token }), params({})));
      if (call.status === 503) await new Promise((r) => setTimeout(r, 20));
    }
  };
  const drivers = ids.map(drive);

  const succeededIn = (wanted: Phase, id: string) => calls.filter((c) => c.instanceId === id && c.kind !== "list" && c.startedIn === wanted && c.status === 200).length;
  try {
    await waitFor("writes while the database is up", async () => ids.every((id) => succeededIn("up", id) >= 2), 60_000);

    phase = "stopping";
    await cluster.stop();
    phase = "down";
    await waitFor("answers while the database is down", async () => calls.filter((c) => c.startedIn === "down" && c.endedIn === "down").length >= 60, 60_000);
    const health = await healthRoute();
    expect(health.status).toBe(503);
    expect(health.headers.get("retry-after")).toBeTruthy();

    phase = "restarting";
    cluster = await startEmbeddedPostgres({ dir: dataDir, port });
    phase = "back";
    await waitFor("writes again once the database is back", async () => ids.every((id) => succeededIn("back", id) >= 2), 60_000);
  } catch (error) {
    // Say where it stood: which phases answered what.
    const tally: Record<string, number> = {};
    for (const c of calls) tally[`${c.startedIn}→${c.endedIn} ${c.status} ${c.code ?? ""}`] = (tally[`${c.startedIn}→${c.endedIn} ${c.status} ${c.code ?? ""}`] ?? 0) + 1;
    throw new Error(`${error instanceof Error ? error.message : String(error)}; answers so far: ${JSON.stringify(tally)}`);
  } finally {
    done = true;
    await Promise.all(drivers);
  }

  // Never a 500: a request is done, refused as a conflict, or told the database is unreachable.
  expect(calls.filter((c) => ![200, 409, 503].includes(c.status))).toEqual([]);
  const whileDown = calls.filter((c) => c.startedIn === "down" && c.endedIn === "down");
  expect(whileDown.length).toBeGreaterThan(0);
  expect(whileDown.filter((c) => c.status !== 503 || c.code !== "unavailable" || !c.retryAfter)).toEqual([]);
  expect(calls.filter((c) => c.status === 503 && !c.retryAfter)).toEqual([]);
  expect((await healthRoute()).status).toBe(200);
  // Recovered without a new pool: the one handed over at the start serves the dashboard still.
  expect(getConnection()).toBe(pool);
  const [reopened] = await pool.sql<{ statement_timeout: string }[]>`show statement_timeout`;
  expect(reopened?.statement_timeout).toBe("10s");

  // State and history agree: each instance's status is its last history row's to-status.
  for (const id of ids) {
    const [instance] = await pool.db.select().from(instances).where(eq(instances.id, id));
    const rows = await pool.db.select().from(history).where(eq(history.instanceId, id));
    const last = rows.reduce((a, b) => (b.seq > a.seq ? b : a));
    expect({ id, status: instance!.status }).toEqual({ id, status: last.toStatus });
  }
  const report = await verifyChains(pool.sql);
  expect(report.ok).toBe(true);
}, 300_000);
