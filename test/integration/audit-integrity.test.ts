import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { history } from "@/db/schema";
import { verifyAndCheckpoint, verifyChains } from "@/lib/audit/verify-chain";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { freshDatabase } from "../support/db";
import { createInstance } from "../support/factories";

const t = await freshDatabase();
const someone = { id: null, label: "ops@test.dev" };

async function instanceWithHistory() {
  const inst = await createInstance(t.db);
  await pauseInstance(t.db, { instanceId: inst.id, reason: "first pause" }, someone);
  await resumeInstance(t.db, { instanceId: inst.id, reason: "back" }, someone);
  await pauseInstance(t.db, { instanceId: inst.id, reason: "second pause" }, someone);
  return (await t.db.select().from(history).where(eq(history.instanceId, inst.id)).orderBy(history.seq));
}

/** What a superuser could do: switch the guard off, change the past, switch it back on. */
async function asSuperuser(statement: string) {
  await t.sql.unsafe(`alter table history disable trigger user; ${statement}; alter table history enable trigger user;`);
}

describe("history is append-only", () => {
  it("the database refuses UPDATE, DELETE and TRUNCATE", async () => {
    const rows = await instanceWithHistory();
    await expect(t.sql`update history set reason = 'rewritten' where id = ${rows[1]!.id}`).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(t.sql`delete from history where id = ${rows[1]!.id}`).rejects.toThrow(/append-only: DELETE refused/);
    await expect(t.sql`truncate history cascade`).rejects.toThrow(/append-only: TRUNCATE refused/);
    const [row] = await t.db.select().from(history).where(eq(history.id, rows[1]!.id));
    expect(row!.reason).toBe("first pause");
  });
});

describe("the chain verifier", () => {
  it("passes an untouched history and records a checkpoint", async () => {
    await instanceWithHistory();
    const report = await verifyAndCheckpoint(t.sql);
    expect(report).toMatchObject({ ok: true });
    expect(report.rows).toBeGreaterThanOrEqual(4);
    const [checkpoint] = await t.sql`select * from audit_checkpoints order by id desc limit 1`;
    expect(checkpoint).toMatchObject({ ok: "ok", rows: report.rows, through_id: report.throughId });
  });

  it("catches an altered reason at exactly that row", async () => {
    const rows = await instanceWithHistory();
    await asSuperuser(`update history set reason = 'nothing to see' where id = ${rows[1]!.id}`);
    const report = await verifyChains(t.sql);
    expect(report.ok).toBe(false);
    expect(report.broken).toMatchObject({ historyId: rows[1]!.id, seq: 2, problem: expect.stringContaining("altered") });
    await asSuperuser(`update history set reason = 'first pause' where id = ${rows[1]!.id}`);
    expect((await verifyChains(t.sql)).ok).toBe(true);
  });

  it("catches a row deleted from the middle of a chain", async () => {
    const rows = await instanceWithHistory();
    await asSuperuser(`delete from history where id = ${rows[2]!.id}`);
    const report = await verifyChains(t.sql);
    expect(report.broken).toMatchObject({ historyId: rows[3]!.id, problem: expect.stringContaining("a row is missing") });
    // Putting it back exactly as it was repairs the chain: the verifier checks content, not luck.
    const r = rows[2]!;
    await asSuperuser(
      `insert into history (id, instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
       values (${r.id}, '${r.instanceId}', ${r.seq}, '${r.action}', null, '${r.actorLabel}', '${r.reason}', '${r.fromStatus}', '${r.toStatus}', '${JSON.stringify(r.details)}', '${r.workflowKey}', '${r.createdAt.toISOString()}', '${r.prevHash}', '${r.hash}')`,
    );
    expect((await verifyChains(t.sql)).ok).toBe(true);
  });

  it("catches a row deleted from the end of a chain, which the last checkpoint sealed", async () => {
    const rows = await instanceWithHistory();
    expect((await verifyAndCheckpoint(t.sql)).ok).toBe(true);
    await asSuperuser(`delete from history where id = ${rows.at(-1)!.id}`);
    const report = await verifyChains(t.sql);
    expect(report.ok).toBe(false);
    // Every break is reported: the missing sealed row, and the status its deletion left unexplained.
    expect(report.breaks.map((b) => b.problem)).toEqual(
      expect.arrayContaining([expect.stringMatching(/1 row\(s\) sealed by the last checkpoint are gone/), expect.stringMatching(/is paused but its last history row says running/)]),
    );
  });
});
