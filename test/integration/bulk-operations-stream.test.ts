import { eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { bulkOperations } from "@/db/schema";
import { createApiToken } from "@/lib/auth/sessions";
import { cancelBulkOperation } from "@/lib/bulk-operations/cancel";
import { startBulkOperation } from "@/lib/bulk-operations/start";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { actor, createDefinition, createUser } from "../support/factories";
import { spawnWorker, type WorkerProcess } from "../support/worker";

// Issue 14 §3: a bulk operation's page follows it from a stream, not by polling. These read the
// real route handler's stream while a real worker process runs the operation.

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const { GET: streamRoute } = await import("@/app/api/v1/bulk-operations/[id]/stream/route");
const auditor = await createUser(t.db, "auditor");
const token = await createApiToken(t.db, auditor.id, "t");
const operator = await createUser(t.db, "operator");

let worker: WorkerProcess | undefined;
afterAll(async () => {
  await worker?.stop();
});

/** `n` paused instances of a new workflow, in one statement; returns the workflow key. */
async function pausedInstances(n: number): Promise<string> {
  const def = await createDefinition(t.db);
  await t.db.execute(sql`
    insert into instances (definition_id, workflow_key, status, started_by_label, paused_from_status, paused_at, paused_by_label, pause_reason, pause_mode, pause_kind)
    select ${def.id}::uuid, ${def.key}, 'paused', 'test', 'running', now(), 'earlier@test.dev', 'earlier', 'graceful', 'manual'
    from generate_series(1, ${n})`);
  return def.key;
}

type Sse = { event: string; data: Record<string, unknown> };

/** Opens the operation's stream as `token`'s holder and reads its events as they come. */
async function subscribe(operationId: string) {
  const abort = new AbortController();
  const response = await streamRoute(new Request(`http://flowgate.test/api/v1/bulk-operations/${operationId}/stream`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal }), params({ id: operationId }));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/event-stream");
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: Sse[] = [];
  let buffer = "";
  let closed = false;
  /** Reads until `until` holds for the events so far, or fails after `ms` naming what came (not a timing assertion: a deadline for a hang). */
  const readUntil = async (what: string, until: (events: Sse[]) => boolean, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!until(events)) {
      if (closed) throw new Error(`the stream ended before ${what}; events: ${JSON.stringify(events)}`);
      const left = deadline - Date.now();
      const chunk = await Promise.race([reader.read(), new Promise<"late">((r) => setTimeout(() => r("late"), Math.max(left, 0)))]);
      if (chunk === "late") throw new Error(`no ${what} within ${ms} ms; events: ${JSON.stringify(events)}`);
      if (chunk.done) closed = true;
      else buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  };
  /** Resolves true once the server has ended the stream. */
  const ends = async () => {
    while (!closed) closed = (await reader.read()).done;
    return true;
  };
  return { events, readUntil, ends, close: () => abort.abort() };
}

const doneOf = (e: Sse) => {
  const c = e.data.counts as Record<string, number>;
  return c.succeeded! + c.refused! + c.skipped!;
};

describe("GET /api/v1/bulk-operations/{id}/stream", () => {
  it("relays the worker's progress with growing counts, then a final done event with the whole operation, and ends", { timeout: 180_000 }, async () => {
    const key = await pausedInstances(12);
    // Started before any worker runs, so the stream is open before the first target is acted on.
    const op = await startBulkOperation(t.db, "resume", { filter: { status: "paused", workflow: key }, reason: "Thaw after the window" }, actor(operator));
    const stream = await subscribe(op.id);
    await stream.readUntil("the first event", (events) => events.length > 0);
    expect(stream.events[0]).toMatchObject({ event: "progress", data: { operationId: op.id, state: "running", matched: 12, counts: { pending: 12, succeeded: 0 } } });

    worker = await spawnWorker(t.url);
    await stream.readUntil("the done event", (events) => events.some((e) => e.event === "done"));
    const progress = stream.events.filter((e) => e.event === "progress");
    const done = stream.events.at(-1)!;
    expect(done).toMatchObject({ event: "done", data: { id: op.id, state: "completed", matched: 12, done: 12, counts: { pending: 0, succeeded: 12, refused: 0, skipped: 0 }, reason: "Thaw after the window" } });
    expect(done.data.finishedAt).toEqual(expect.any(String));
    // The worker's own announcements came between the snapshot and the end: counts that only grow.
    const counted = progress.map(doneOf);
    expect(counted.some((n) => n > 0 && n < 12), `progress seen: ${JSON.stringify(counted)}`).toBe(true);
    expect(counted).toEqual([...counted].sort((a, b) => a - b));
    expect(await stream.ends()).toBe(true);
  });

  it("a cancel is announced at once: the done event says who cancelled and why, with the rest skipped", { timeout: 120_000 }, async () => {
    worker ??= await spawnWorker(t.url);
    const key = await pausedInstances(30);
    const op = await startBulkOperation(t.db, "resume", { filter: { status: "paused", workflow: key }, reason: "Thaw" }, actor(operator));
    // Slow enough that it is surely still running when cancelled.
    await t.db.update(bulkOperations).set({ ratePerSecond: 2 }).where(eq(bulkOperations.id, op.id));
    const stream = await subscribe(op.id);
    await stream.readUntil("a first resume", (events) => events.some((e) => e.event === "progress" && doneOf(e) > 0));
    await cancelBulkOperation(t.db, op.id, { reason: "Wrong workflow" }, operator, actor(operator));
    await stream.readUntil("the done event", (events) => events.some((e) => e.event === "done"));
    const done = stream.events.at(-1)!;
    expect(done).toMatchObject({ event: "done", data: { state: "cancelled", cancelReason: "Wrong workflow", cancelledByLabel: operator.email, counts: { pending: 0 } } });
    expect((done.data.counts as Record<string, number>).skipped).toBeGreaterThan(0);
    expect(await stream.ends()).toBe(true);
  });

  it("an ended operation's stream sends done at once; unknown ids are 404 and no session is 401", async () => {
    const key = await pausedInstances(1);
    const op = await startBulkOperation(t.db, "resume", { filter: { status: "paused", workflow: key } }, actor(operator));
    await cancelBulkOperation(t.db, op.id, { reason: "not now" }, operator, actor(operator));
    const stream = await subscribe(op.id);
    await stream.readUntil("the done event", (events) => events.length > 0);
    expect(stream.events).toEqual([{ event: "done", data: expect.objectContaining({ id: op.id, state: "cancelled" }) }]);
    expect(await stream.ends()).toBe(true);
    expect((await streamRoute(apiRequest("/api/v1/bulk-operations/nope/stream", { token }), params({ id: "nope" }))).status).toBe(404);
    expect((await streamRoute(apiRequest(`/api/v1/bulk-operations/${crypto.randomUUID()}/stream`, { token }), params({ id: crypto.randomUUID() }))).status).toBe(404);
    expect((await streamRoute(apiRequest(`/api/v1/bulk-operations/${op.id}/stream`), params({ id: op.id }))).status).toBe(401);
  });
});
