import { inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { instances, stepRuns } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { startInstance } from "@/lib/instances/start-instance";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));

const CHAOS_MS = Number(process.env.FLOWGATE_HALTING_MS ?? 8_000);
/** The stress runs at least CHAOS_MS and until it has this many pause windows, however slow the machine. */
const MIN_WINDOWS = 60;
/** A machine so slow that this is not enough has a problem worth a failure of its own. */
const GIVE_UP_MS = 150_000;
const AGENTS = 6;
const ACTIVE = 30;

/** A window in which no step of the instance may start: from inside the pause transaction to just before its resume was asked for. */
type Window = { instance_id: string; paused_at: string; resume_call: string; mode: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
const expected = (e: unknown) => e instanceof AppError && e.code === "conflict";

describe("a pause halts (invariant 1), under load", () => {
  it("with two workers claiming and pauses fired at random, no step run starts after its instance's pause committed", { timeout: 300_000 }, async () => {
    await Promise.all([spawnWorker(t.url, { FLOWGATE_CLAIM_BATCH: "4" }), spawnWorker(t.url, { FLOWGATE_CLAIM_BATCH: "4" })]);
    const all: string[] = [];
    const active = new Set<string>();
    const busy = new Set<string>();
    const windows: Window[] = [];
    const launch = async () => {
      const inst = await startInstance(t.db, { workflow: "t-fanout" }, operator, { catalog });
      all.push(inst.id);
      active.add(inst.id);
    };
    for (let i = 0; i < ACTIVE; i++) await launch();

    const began = Date.now();
    // Scales itself to the machine: a busy one takes longer to collect the same evidence.
    const enough = () => (Date.now() - began >= CHAOS_MS && windows.length >= MIN_WINDOWS) || Date.now() - began >= GIVE_UP_MS;
    // Keeps the population up: finished instances are replaced, so claims never run dry.
    const refill = (async () => {
      while (!enough()) {
        const rows = await t.db.select({ id: instances.id, status: instances.status }).from(instances).where(inArray(instances.id, [...active]));
        for (const r of rows) if (r.status === "completed") active.delete(r.id);
        while (active.size < ACTIVE) await launch();
        await sleep(50);
      }
    })();
    const agent = async () => {
      while (!enough()) {
        const id = pick([...active].filter((x) => !busy.has(x)));
        if (!id) {
          await sleep(5);
          continue;
        }
        busy.add(id);
        const mode = Math.random() < 0.5 ? "graceful" : "immediate";
        try {
          const paused = await pauseInstance(t.db, { instanceId: id, reason: "chaos", mode }, operator);
          // Hold it paused long enough for any racing claim to show itself.
          await sleep(Math.random() * 60);
          const resumeCall = new Date();
          windows.push({ instance_id: id, paused_at: paused.pausedAt!.toISOString(), resume_call: resumeCall.toISOString(), mode });
          await resumeInstance(t.db, { instanceId: id }, operator);
        } catch (error) {
          if (!expected(error)) throw error;
        } finally {
          busy.delete(id);
        }
        await sleep(Math.random() * 10);
      }
    };
    await Promise.all([refill, ...Array.from({ length: AGENTS }, agent)]);

    // Every instance finishes: pauses lose nothing.
    await waitFor(
      "all instances completed",
      async () => {
        const rows = await t.db.select({ status: instances.status }).from(instances).where(inArray(instances.id, all));
        return rows.every((r) => r.status === "completed");
      },
      120_000,
      100,
    );

    // pausedAt is set inside the pause transaction after it took the instance lock: a correct claim
    // committed before that lock, so its started_at precedes pausedAt. The margin covers pausedAt's
    // millisecond truncation.
    const violations = await t.db.execute<{ instance_id: string; step_key: string; started_at: string; paused_at: string; mode: string }>(sql`
      select w.instance_id, r.step_key, r.started_at, w.paused_at, w.mode
      from jsonb_to_recordset(${JSON.stringify(windows)}::jsonb) as w(instance_id uuid, paused_at timestamptz, resume_call timestamptz, mode text)
      join step_runs r on r.instance_id = w.instance_id
      where r.started_at >= w.paused_at + interval '2 milliseconds' and r.started_at < w.resume_call`);
    const [{ steps }] = (await t.db.select({ steps: sql<number>`count(*)::int` }).from(stepRuns).where(inArray(stepRuns.instanceId, all))) as [{ steps: number }];
    const interrupted = (await t.db.select({ n: sql<number>`count(*)::int` }).from(stepRuns).where(sql`${stepRuns.status} = 'interrupted' and ${inArray(stepRuns.instanceId, all)}`))[0]!.n;
    console.info(`halting stress: ${windows.length} pauses over ${all.length} instances, ${steps} step runs (${interrupted} interrupted), ${violations.length} violations`);
    expect(windows.length, `only ${windows.length} pause windows in ${GIVE_UP_MS} ms`).toBeGreaterThanOrEqual(MIN_WINDOWS);
    expect(violations).toEqual([]);
    // Completed steps ran exactly once each, failures none.
    const perStep = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from step_runs where instance_id = any(${`{${all.join(",")}}`}::uuid[]) and status in ('completed', 'failed') group by instance_id, step_key having count(*) <> 1 or bool_or(status = 'failed')`);
    expect(perStep).toEqual([]);
  });
});
