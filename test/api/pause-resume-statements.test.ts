import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, useConnection } from "@/db/client";
import { events, history, instances } from "@/db/schema";
import { createApiToken } from "@/lib/auth/sessions";
import { historyHash } from "@/lib/history";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createInstance, createUser } from "../support/factories";

/*
 * The REST pause and resume run their hot statements as named prepared statements, sent in
 * pipelined batches (issue 15 §2), through the same use cases as every other surface. These tests
 * pin what that path must still write, exactly as the drizzle path did: the event's payload is
 * the instance row as stored, the history rows chain and hash as the verifier recomputes them,
 * and the statements really are prepared (a regression to unprepared SQL doubles the round trips).
 */
const t = await freshDatabase();
// One connection as the app role, as the dashboard connects: its prepared statements can be listed.
const app = createDb(t.url, { max: 1 });
useConnection(app);
const { POST: pauseRoute } = await import("@/app/api/v1/instances/[id]/pause/route");
const { POST: resumeRoute } = await import("@/app/api/v1/instances/[id]/resume/route");

const operator = await createUser(t.db, "operator");
const token = await createApiToken(t.db, operator.id, "statements");
const call = (route: typeof pauseRoute, id: string, verb: string, body: unknown) =>
  route(apiRequest(`/api/v1/instances/${id}/${verb}`, { method: "POST", token, body }), params({ id }));

/** The instance row as a drizzle select reads it, as JSON: what an event's payload must be. */
async function rowAsJson(id: string): Promise<unknown> {
  const [row] = await t.db.select().from(instances).where(eq(instances.id, id));
  return JSON.parse(JSON.stringify(row));
}

describe("REST pause and resume on prepared, pipelined statements", () => {
  it("write the event payload as the stored row, and history rows that chain and hash", async () => {
    const inst = await createInstance(t.db);
    const paused = await call(pauseRoute, inst.id, "pause", { reason: "prepared path", category: "maintenance", ticketUrl: "https://tickets.example/1" });
    expect(paused.status).toBe(200);
    const afterPause = await rowAsJson(inst.id);
    expect(await paused.json()).toEqual(afterPause);

    const resumed = await call(resumeRoute, inst.id, "resume", { reason: "back" });
    expect(resumed.status).toBe(200);
    const afterResume = await rowAsJson(inst.id);
    expect(await resumed.json()).toEqual(afterResume);

    const evts = await t.db.select().from(events).where(eq(events.instanceId, inst.id)).orderBy(events.id);
    expect(evts.map((e) => e.type)).toEqual(["workflow.instance.paused", "workflow.instance.resumed"]);
    expect(evts[0]!.payload).toEqual(afterPause);
    expect(evts[1]!.payload).toEqual(afterResume);

    const rows = await t.db.select().from(history).where(eq(history.instanceId, inst.id)).orderBy(history.seq);
    expect(rows.map((r) => [r.seq, r.action, r.fromStatus, r.toStatus])).toEqual([
      [1, "started", "pending", "running"],
      [2, "paused", "running", "paused"],
      [3, "resumed", "paused", "running"],
    ]);
    for (const [i, row] of rows.entries()) {
      expect(row.hash).toBe(historyHash(row));
      if (i > 0) expect(row.prevHash).toBe(rows[i - 1]!.hash);
    }
    expect(rows[1]!.details).toMatchObject({ mode: "graceful", kind: "manual", category: "maintenance", ticketUrl: "https://tickets.example/1" });
    expect(rows[2]!.details).toMatchObject({ forced: false, pausedBy: operator.email });
  });

  it("run the token lookup, lock, update, history, outbox and notify as prepared statements", async () => {
    const inst = await createInstance(t.db);
    expect((await call(pauseRoute, inst.id, "pause", { reason: "prepared" })).status).toBe(200);
    expect((await call(resumeRoute, inst.id, "resume", {})).status).toBe(200);
    const prepared = (await app.sql<{ statement: string }[]>`select statement from pg_prepared_statements`).map((r) => r.statement.replace(/\s+/g, " ").toLowerCase());
    const has = (pattern: RegExp) => expect(prepared.some((s) => pattern.test(s)), `no prepared statement matches ${pattern}`).toBe(true);
    has(/from "api_tokens"/);
    has(/select \* from instances where id = \$1 for update/);
    // The pause's update and the resume's (which also moves the deadline).
    has(/^update instances set "status"=\$1,"paused_from_status"=\$2,"paused_at"=\$3,.*"pause_reason"=\$\d+.*"resume_at"=\$\d+,"updated_at"=\$\d+, version = version \+ 1 where id = \$\d+ returning \*/);
    has(/^update instances set "status"=\$1,.*"pause_reason"=\$\d+.*"resume_at"=\$\d+,"due_at"=\$\d+,"updated_at"=\$\d+, version = version \+ 1 where id = \$\d+ returning \*/);
    has(/select seq, hash from history where instance_id = \$1/);
    has(/^insert into history/);
    has(/^insert into events/);
    has(/select pg_notify\(\$1, \$2\)/);
  });
});
