/**
 * Issue 10 §4 (DESIGN invariants 5 and 12): the attacks the issue lists, replayed as the
 * database superuser, each of which audit:verify used to pass; and the app role's privileges.
 * Each attack gets its own database, so one attack's breaks never explain another's.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "@/db/client";
import { ensureAppRole } from "@/db/roles";
import { history, instances, type HistoryRow } from "@/db/schema";
import { verifyAndCheckpoint, verifyChains, type ChainReport } from "@/lib/audit/verify-chain";
import type { SealConfig } from "@/lib/audit/seal";
import { appendHistory, historyHash } from "@/lib/history";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { freshDatabase, type TestDatabase } from "../support/db";
import { createInstance } from "../support/factories";
import { waitFor } from "../support/worker";

const someone = { id: null, label: "ops@test.dev" };
const sealDir = await mkdtemp(path.join(os.tmpdir(), "flowgate-seal-"));
// The key lives here, in the verifier's process: the database never sees it.
const seal: SealConfig = { dir: sealDir, key: randomBytes(32) };
afterAll(() => rm(sealDir, { recursive: true, force: true }));

const attack1 = await freshDatabase();
const attack2 = await freshDatabase();
const attack3 = await freshDatabase();
const attack4 = await freshDatabase();
const privileges = await freshDatabase();
const horizon = await freshDatabase();

/** An instance that was paused, resumed and paused again: four history rows. */
async function instanceWithHistory(t: TestDatabase) {
  const inst = await createInstance(t.db);
  await pauseInstance(t.db, { instanceId: inst.id, reason: "first pause" }, someone);
  await resumeInstance(t.db, { instanceId: inst.id, reason: "back" }, someone);
  await pauseInstance(t.db, { instanceId: inst.id, reason: "second pause" }, someone);
  return inst;
}

async function rowOf(t: TestDatabase, instanceId: string, reason: string): Promise<HistoryRow> {
  const [row] = await t.db.select().from(history).where(and(eq(history.instanceId, instanceId), eq(history.reason, reason)));
  return row!;
}

/** What a superuser can do: switch the guards off, change the past, switch them back on. */
async function asSuperuser(t: TestDatabase, statements: string) {
  await t.sql.unsafe(`alter table history disable trigger user; alter table audit_checkpoints disable trigger user;
    ${statements};
    alter table history enable trigger user; alter table audit_checkpoints enable trigger user;`);
}

const problems = (report: ChainReport) => (report.breaks ?? []).map((b) => ({ instanceId: b.instanceId, problem: b.problem }));

describe("attacks by the database superuser, each reported by the verifier", () => {
  it("a pause whose new history row was deleted: the instance's status no longer matches its last history row", async () => {
    const t = attack1;
    const inst = await createInstance(t.db);
    await t.sql`alter table history disable trigger user`;
    await pauseInstance(t.db, { instanceId: inst.id, reason: "quietly" }, someone);
    await t.sql`delete from history where instance_id = ${inst.id} and action = 'paused'`;
    await t.sql`alter table history enable trigger user`;
    const [row] = await t.db.select({ status: instances.status }).from(instances).where(eq(instances.id, inst.id));
    expect(row!.status).toBe("paused");

    const report = await verifyChains(t.sql);
    expect(report.ok).toBe(false);
    expect(problems(report)).toContainEqual({ instanceId: inst.id, problem: expect.stringMatching(/is paused but its last history row says running/) });
  });

  it("a row a checkpoint sealed is deleted, then the checkpoints: the signed checkpoint outside the database still counts it", async () => {
    const t = attack2;
    const inst = await instanceWithHistory(t);
    const other = await instanceWithHistory(t);
    expect((await verifyAndCheckpoint(t.sql, { seal })).ok).toBe(true);
    // audit_checkpoints is append-only too, for every role.
    await expect(t.sql`delete from audit_checkpoints`).rejects.toThrow(/append-only: DELETE refused/);
    await expect(t.sql`truncate audit_checkpoints`).rejects.toThrow(/append-only: TRUNCATE refused/);

    // Remove the whole of one instance's history and the instance with it (no status to compare).
    await asSuperuser(t, `
      alter table events disable trigger all; alter table step_runs disable trigger all; alter table instances disable trigger all;
      delete from history where instance_id = '${inst.id}'; delete from instances where id = '${inst.id}';
      alter table events enable trigger all; alter table step_runs enable trigger all; alter table instances enable trigger all;
      delete from audit_checkpoints`);
    expect(await t.sql`select 1 from audit_checkpoints`).toHaveLength(0);

    const report = await verifyChains(t.sql, { seal });
    expect(report.ok).toBe(false);
    expect(problems(report)).toContainEqual({ instanceId: null, problem: expect.stringMatching(/sealed \d+ rows in 2 chains; there are \d+ in 1: sealed rows were removed/) });
    // The untouched instance is not blamed.
    expect(problems(report).filter((p) => p.instanceId === other.id)).toEqual([]);
  });

  it("a reason changed and the chain's hashes recomputed with the app's own hash function: the signed heads no longer match", async () => {
    const t = attack3;
    const inst = await instanceWithHistory(t);
    expect((await verifyAndCheckpoint(t.sql, { seal })).ok).toBe(true);

    const chain = await t.db.select().from(history).where(eq(history.instanceId, inst.id)).orderBy(history.seq);
    const statements: string[] = [];
    let prevHash: string | null = null;
    for (const row of chain) {
      const forged = { ...row, reason: row.reason === "first pause" ? "routine check" : row.reason, prevHash };
      const hash = historyHash(forged);
      statements.push(`update history set reason = ${forged.reason === null ? "null" : `'${forged.reason}'`}, prev_hash = ${prevHash ? `'${prevHash}'` : "null"}, hash = '${hash}' where id = ${row.id}`);
      prevHash = hash;
    }
    await asSuperuser(t, `${statements.join("; ")}; delete from audit_checkpoints`);
    expect((await rowOf(t, inst.id, "routine check")).seq).toBe(2);

    // The plain chain cannot see it: every hash is consistent again.
    const unsealed = await verifyChains(t.sql);
    expect(unsealed.breaks).toEqual([]);
    const report = await verifyChains(t.sql, { seal });
    expect(report.ok).toBe(false);
    expect(problems(report)).toContainEqual({ instanceId: null, problem: expect.stringMatching(/chain heads no longer match the signed checkpoint .*rewritten and its hashes recomputed/) });
  });

  it("reports every break, not only the first", async () => {
    const t = attack4;
    const first = await instanceWithHistory(t);
    const second = await instanceWithHistory(t);
    const a = await rowOf(t, first.id, "first pause");
    const b = await rowOf(t, second.id, "second pause");
    await asSuperuser(t, `update history set reason = 'nothing to see' where id = ${a.id}; update history set reason = 'nor here' where id = ${b.id}`);

    const report = await verifyChains(t.sql);
    expect(report.ok).toBe(false);
    expect(report.breakCount).toBe(2);
    expect(report.breaks).toEqual(
      expect.arrayContaining([
        { historyId: a.id, instanceId: first.id, seq: 2, problem: expect.stringContaining("altered") },
        { historyId: b.id, instanceId: second.id, seq: 4, problem: expect.stringContaining("altered") },
      ]),
    );
  });

  it("an edited signed checkpoint file is reported", async () => {
    const t = attack4;
    const report = await verifyAndCheckpoint(t.sql, { seal });
    // attack4's history is broken, so it is never signed; sign an intact database's and edit that.
    expect(report.sealedTo).toBeNull();
    const sealed = await verifyAndCheckpoint(privileges.sql, { seal });
    expect(sealed.sealedTo).not.toBeNull();
    const text = await readFile(sealed.sealedTo!, "utf8");
    await writeFile(sealed.sealedTo!, text.replace(/"rows":\d+/, '"rows":999'));
    const after = await verifyChains(privileges.sql, { seal });
    expect(problems(after)).toContainEqual({ instanceId: null, problem: expect.stringMatching(/line 1 has a wrong signature/) });
  });
});

describe("a checkpoint taken while history is being written", () => {
  it("seals only settled rows: it waits for a transaction still holding an older id, so that row cannot contradict it later", async () => {
    const t = horizon;
    const slow = await createInstance(t.db);
    const fast = await createInstance(t.db);
    const step = (instance: typeof slow) => ({ instanceId: instance.id, workflowKey: instance.workflowKey, action: "step_started" as const, actor: someone, details: { stepKey: "a" } });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let written = () => {};
    const slowWritten = new Promise<void>((resolve) => (written = resolve));
    const slowTx = t.db.transaction(async (tx) => {
      await appendHistory(tx, step(slow));
      written();
      await released;
    });
    await slowWritten;
    // A later row, committed first: its id is higher than the open transaction's.
    await t.db.transaction((tx) => appendHistory(tx, step(fast)));

    const checkpoint = verifyAndCheckpoint(t.sql, { seal });
    await waitFor("the checkpoint to wait for the open transaction", async () =>
      (await t.sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'lock table history%'`).length > 0);
    release();
    await slowTx;
    const report = await checkpoint;
    expect(report.ok).toBe(true);
    const [slowRow] = await t.sql<{ id: string }[]>`select id from history where instance_id = ${slow.id} and action = 'step_started'`;
    expect(report.throughId).toBeGreaterThanOrEqual(Number(slowRow!.id));
    expect((await verifyChains(t.sql, { seal })).breaks).toEqual([]);
  });
});

describe("the app role", () => {
  const app = createDb(privileges.url, { max: 2 });
  afterAll(() => app.sql.end());

  it("is not a superuser, owns nothing and still does the app's work", async () => {
    const [me] = await app.sql`select current_user as name, rolsuper, rolbypassrls from pg_roles where rolname = current_user`;
    expect(me).toMatchObject({ name: "flowgate_app", rolsuper: false, rolbypassrls: false });
    const owned = await app.sql`select relname from pg_class where relowner = (select oid from pg_roles where rolname = current_user)`;
    expect(owned).toEqual([]);
    // The app's own writes (instance, history row, outbox event) work under the role.
    const inst = await createInstance(privileges.db);
    const paused = await pauseInstance(app.db, { instanceId: inst.id, reason: "as the app" }, someone);
    expect(paused.status).toBe("paused");
    expect(await app.sql`select id from history where instance_id = ${inst.id} and action = 'paused'`).toHaveLength(1);
  });

  it.each(["history", "audit_checkpoints", "access_changes", "workflow_hold_log"])("is refused UPDATE, DELETE and TRUNCATE on %s by privilege, not only by the trigger", async (table) => {
    await expect(app.sql.unsafe(`update ${table} set id = id`)).rejects.toThrow(`permission denied for table ${table}`);
    await expect(app.sql.unsafe(`delete from ${table}`)).rejects.toThrow(`permission denied for table ${table}`);
    await expect(app.sql.unsafe(`truncate ${table}`)).rejects.toThrow(`permission denied for table ${table}`);
    await expect(app.sql.unsafe(`select count(*) from ${table}`)).resolves.toHaveLength(1);
  });

  it("is refused by migrations when it has powers that would undo the grants", async () => {
    const as = (role: string) => privileges.ownerUrl.replace(/\/\/[^@]*@/, `//${role}:not-used-${role}@`);
    await privileges.sql.unsafe(`create role tamper_super login superuser; create role tamper_member login; grant flowgate to tamper_member;
      create role tamper_files login; grant pg_write_server_files to tamper_files`);
    await expect(ensureAppRole(privileges.sql, as("tamper_super"))).rejects.toThrow("The app role tamper_super is a superuser");
    await expect(ensureAppRole(privileges.sql, as("tamper_member"))).rejects.toThrow("The app role tamper_member is a member of flowgate");
    await expect(ensureAppRole(privileges.sql, as("tamper_files"))).rejects.toThrow("The app role tamper_files is a member of pg_write_server_files");
  });

  it("cannot switch the append-only triggers off", async () => {
    await expect(app.sql`alter table history disable trigger user`).rejects.toThrow(/must be owner of (table|relation) history/);
    await expect(app.sql`alter table audit_checkpoints disable trigger all`).rejects.toThrow(/must be owner of (table|relation) audit_checkpoints/);
    await expect(app.sql`set session_replication_role = replica`).rejects.toThrow(/permission denied/);
    await expect(app.sql`drop trigger history_no_update on history`).rejects.toThrow(/must be owner of (table|relation) history/);
  });
});
