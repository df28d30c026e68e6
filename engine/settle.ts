import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instances, type Instance, type StepSpec } from "@/db/schema";
import { EVENT_VERSION } from "@/lib/events";
import { endedColumns, endings } from "@/lib/instances/end-instance";
import { transition } from "@/lib/state-machine";
import { engineActor } from "@/lib/actors";
import { applyPlan, runsOf } from "@/lib/instances/lifecycle/advance";
import { chainedRows, type ChainHead } from "./history-batch";
import { remember, type KnownStates } from "./known-states";
import { planAdvance, type Plan, type StepOutcome } from "@/lib/instances/lifecycle/plan";
import { pipelinedTransaction, type ReservedSql, type Sql } from "./prepared";
import { rowMapper } from "@/db/row-mapper";
import { uuidList } from "@/db/sql-arrays";
import type { ClaimedRun } from "./sql/claim-runs";
import { lockInstances } from "./sql/lock-instances";
import { runsAndHeads, type RunState } from "./sql/runs-and-heads";
import { settleBatch, type SettleBatchInput, type SettleBatchRow } from "./sql/settle-batch";
import { settleOne } from "./sql/settle-one";

export type { KnownState, KnownStates } from "./known-states";

export type Connection = { db: Db; sql: Sql };

export type SettleResult = {
  discarded: number;
  drained: string[];
  settled: number;
  /** Successor runs this worker started itself in the settle (see batchWrite). */
  started: ClaimedRun[];
  /** Outcomes settled from what the worker already knew, in one round trip (see KnownStates). */
  fromKnown: number;
  /**
   * Why the rest could not be recorded, if it could not: those runs stay `running` in the
   * database, their leases expire and they run again. What was recorded before (and the runs it
   * started) stands, so the caller must still execute `started`.
   */
  failure?: unknown;
};

export type SettleOptions = {
  /** How many successors the caller has free slots for and may start directly. */
  startLimit: number;
  leaseMs: number;
};

type Planned = { instance: Instance; plan: Plan; runs: RunState[]; head: ChainHead | null; rowVersion: string };

const toInstance = rowMapper(instances);

/**
 * Gates, checkpoints, programmatic pauses and failures stop claims: they need the row FOR UPDATE.
 * planAdvance carries a step's pause request and reaches checkpoints whatever the status (running,
 * waiting, paused), so they always come this way, to applyPlan and applyEnginePause: the batch
 * statement writes no status change but completion and so can never drop one.
 * A retry also goes this way: its new run may only be inserted after the failed one left the
 * live-run unique index, and the batch statement writes both at once.
 */
const needsExclusive = (p: Plan) => p.gates.length > 0 || p.checkpoint !== null || p.pause !== null || p.fail !== null || p.newRuns.some((r) => r.availableAt !== null);

/**
 * Records what finished steps produced. Most outcomes only advance the DAG (or complete the
 * instance, which leaves nothing to claim); those are written for all instances of the batch by
 * one statement, under the instance rows locked `FOR NO KEY UPDATE`, which a claim's
 * `FOR KEY SHARE` does not wait for:
 * - from what this worker knows of the instance (see KnownState): the statement alone, one round trip;
 * - otherwise in a transaction that first locks and reads the rows: two round trips.
 * An outcome that stops claims (gate, checkpoint, programmatic pause, failure) is settled on its
 * own with the row `FOR UPDATE`, the lock that makes concurrent claims wait and re-check the status.
 * A run no longer `running` under this worker was interrupted, cancelled or taken over: its
 * result is discarded.
 */
export async function settleOutcomes(
  conn: Connection,
  workerId: string,
  outcomes: StepOutcome[],
  specsOf: (instance: Instance) => StepSpec[] | undefined,
  options: SettleOptions = { startLimit: 0, leaseMs: 30_000 },
  known: KnownStates = new Map(),
): Promise<SettleResult> {
  const result: SettleResult = { discarded: 0, drained: [], settled: 0, started: [], fromKnown: 0 };
  if (!outcomes.length) return result;
  let startLimit = options.startLimit;
  let pending = outcomes;

  const guessed = fromKnown(outcomes, known, specsOf, workerId);
  if (guessed.length) {
    const write = batchWrite(conn.sql, guessed, { workerId, leaseMs: options.leaseMs, startLimit });
    // Written alone, the statement is its own transaction: when it fails (a run taken over, a
    // history head moved, a deadlock) it wrote nothing, and the read path below settles afresh.
    const written = await write.statement.catch(() => null);
    const applied = written && write.read(written);
    if (applied) {
      const settledIds = new Set(guessed.map((g) => g.instance.id));
      pending = outcomes.filter((o) => !settledIds.has(o.instanceId));
      result.settled += outcomes.length - pending.length;
      result.fromKnown += outcomes.length - pending.length;
      result.started.push(...applied.started);
      startLimit -= applied.started.length;
      remember(known, guessed, applied, workerId);
    } else {
      for (const g of guessed) known.delete(g.instance.id);
    }
  }
  if (!pending.length) return result;
  try {
    await settleRead(conn, workerId, pending, specsOf, { ...options, startLimit }, known, result);
  } catch (error) {
    result.failure = error;
  }
  return result;
}

/** The two-round-trip path and the exclusive one, for the outcomes the known state did not settle. */
async function settleRead(
  conn: Connection,
  workerId: string,
  pending: StepOutcome[],
  specsOf: (instance: Instance) => StepSpec[] | undefined,
  options: SettleOptions,
  known: KnownStates,
  result: SettleResult,
): Promise<void> {
  const startLimit = options.startLimit;
  // Sorted ids: two batch transactions lock overlapping instances in the same order, never in a cycle.
  const ids = uuidList([...new Set(pending.map((o) => o.instanceId))].sort());
  let exclusive: string[] = [];
  // Retried on its own on a deadlock or serialization failure (what the one-round-trip path
  // settled and started above must not be settled again); what it found counts once it committed.
  const read = await retrying(() => pipelinedTransaction(conn.sql, async ({ c, first, last }) => {
    const found = { discarded: 0, settled: 0, drained: [] as string[], started: [] as ClaimedRun[] };
    exclusive = [];
    // The lock is its own statement, first: the next one takes a new snapshot once the locks are
    // held, so it sees every run and history row committed by whoever held them before us.
    const [locked, [read]] = await first([lockInstances(c, ids), runsAndHeads(c, ids)] as const);
    const states = read!.runs;
    const batch: Planned[] = [];
    for (const row of locked) {
      const instance = toInstance(row);
      const specs = specsOf(instance);
      const mine = owned(pending, states, instance.id, workerId);
      found.discarded += pending.filter((o) => o.instanceId === instance.id).length - mine.length;
      known.delete(instance.id);
      if (!specs || !mine.length) continue;
      const runs = states.filter((r) => r.instanceId === instance.id);
      const plan = planAdvance(instance, specs, runs, mine);
      if (needsExclusive(plan)) exclusive.push(instance.id);
      else {
        const head = read!.heads.find((h) => h.instanceId === instance.id) ?? null;
        batch.push({ instance, plan, runs, head, rowVersion: String(row.row_version) });
        found.settled += mine.length;
      }
    }
    if (!batch.length) return found;
    // The same statement as the one-round-trip path: the versions it checks are the ones just
    // read under the locks this transaction holds, so the check passes.
    const write = batchWrite(c, batch, { workerId, leaseMs: options.leaseMs, startLimit });
    const [written] = await last([write.statement] as const);
    const applied = write.read(written);
    if (!applied) throw new Error("the instance rows changed under this transaction's own locks");
    found.drained.push(...applied.drained);
    found.started.push(...applied.started);
    remember(known, batch, applied, workerId);
    return found;
  }));
  result.discarded += read.discarded;
  result.settled += read.settled;
  result.drained.push(...read.drained);
  result.started.push(...read.started);

  for (const id of exclusive) {
    await retrying(() => conn.db.transaction(async (tx) => {
      const [instance] = await tx.select().from(instances).where(eq(instances.id, id)).for("update");
      const specs = instance && specsOf(instance);
      if (!instance || !specs) return;
      const runs = await runsOf(tx, [id]);
      const mine = owned(pending, runs, id, workerId);
      result.discarded += pending.filter((o) => o.instanceId === id).length - mine.length;
      if (!mine.length) return;
      const applied = await applyPlan(tx, instance, specs, planAdvance(instance, specs, runs, mine), "exclusive");
      result.settled += mine.length;
      if (applied.drained) result.drained.push(id);
    }));
  }
}

/**
 * Plans from known state the instances whose every outcome is a run this worker holds there, and
 * whose plan needs no exclusive lock. Anything else is left to the read path: one stale guess
 * costs a round trip, so only clean cases are guessed.
 */
function fromKnown(outcomes: StepOutcome[], known: KnownStates, specsOf: (instance: Instance) => StepSpec[] | undefined, workerId: string): Planned[] {
  if (!known.size) return [];
  const byInstance = new Map<string, StepOutcome[]>();
  for (const o of outcomes) byInstance.set(o.instanceId, [...(byInstance.get(o.instanceId) ?? []), o]);
  const planned: Planned[] = [];
  for (const [id, outs] of byInstance) {
    const state = known.get(id);
    if (!state) continue;
    const specs = specsOf(state.instance);
    if (!specs || state.instance.status !== "running" || owned(outs, state.runs, id, workerId).length !== outs.length) {
      known.delete(id);
      continue;
    }
    const plan = planAdvance(state.instance, specs, state.runs, outs);
    if (needsExclusive(plan)) continue;
    planned.push({ instance: state.instance, plan, runs: state.runs, head: state.head, rowVersion: state.rowVersion });
  }
  return planned;
}

/** What the batch statement did: the successors it started here, the instances it left fully paused, the runs it inserted, and each instance row's new version. Not lib's AppliedPlan (one instance, applyPlan). */
type BatchWritten = { started: ClaimedRun[]; drained: string[]; inserted: RunState[]; versions: Map<string, string> };

/**
 * The plans of a batch as one statement (engine/sql/settle-batch.ts), and how to read what it did.
 * Decides every value the statement writes: which runs end how, which successors start here,
 * and, for a plan that completes its instance, the status the state machine gives, the history
 * row and the event of that ending (endInstance's `endings`), so the SQL spells out none of them.
 */
function batchWrite(c: Sql | ReservedSql, batch: Planned[], options: SettleOptions & { workerId: string }) {
  const now = new Date();
  const expect = batch.map(({ instance, rowVersion }) => [instance.id, rowVersion] as const);
  const finished = batch.flatMap(({ plan }) => plan.finished.map((f) => [f.runId, f.status, f.output ?? null, f.error] as const));
  // Successors this worker starts itself, skipping the claim round trip (like a local queue). As
  // safe as a claim, and stricter: the statement holds the instance row FOR NO KEY UPDATE, which a
  // pause's FOR UPDATE waits for, and the row it checked is `running`/`held` (the plan's version).
  // So either the step starts before a pause commits (and is in flight: the pause drains it), or
  // the pause committed first, the version moved, and nothing is written.
  let startable = options.startLimit;
  const queued = batch.flatMap(({ instance, plan }) =>
    plan.newRuns.map((r) => {
      // Delayed runs (retries) are settled on the exclusive path; these are ready now.
      if (r.availableAt !== null) throw new Error("a delayed run reached the batch path");
      const start = startable > 0 && instance.status === "running" && instance.resources === "held";
      if (start) startable--;
      return [instance.id, r.stepKey, r.attempt, start] as const;
    }),
  );

  // A plan ends its instance only by completing it (failures go the exclusive way, to endInstance).
  const ending = endings.complete;
  const ended: { row: Instance; from: Instance["status"] }[] = [];
  const rows = batch.map(({ instance, plan }) => {
    const t = plan.complete ? transition(instance.status, "complete") : null;
    if (t?.ok) {
      // The row as the UPDATE leaves it: the event's payload, like endInstance's.
      ended.push({ row: { ...instance, context: { ...instance.context, ...plan.contextPatch }, ...endedColumns(t.to, now, null), version: instance.version + 1 }, from: t.from });
    }
    return [instance.id, plan.contextPatch, plan.currentSteps, t?.ok ? t.to : null] as const;
  });
  const history = chainedRows(
    ended.map(({ row, from }) => ({ instanceId: row.id, workflowKey: row.workflowKey, action: ending.action, actor: engineActor, fromStatus: from, toStatus: row.status })),
    batch.flatMap(({ head }) => (head ? [head] : [])),
    now,
  );
  const events: SettleBatchInput["events"] = ended.map(({ row }) => ({ type: ending.event, version: EVENT_VERSION, instance_id: row.id, payload: row }));
  // Only queued (not directly started) runs need another worker's attention.
  const wake = queued.some(([, , , start]) => !start) && batch.some(({ instance, plan }) => plan.newRuns.length && instance.status === "running");

  // One instance that only advances (every step of a concurrency-1 worker but its last): the
  // lean statement, same locks and check. Anything else: the batch statement.
  const [only] = batch;
  const statement =
    batch.length === 1 && !ended.length
      ? settleOne(c, { instanceId: only!.instance.id, rowVersion: only!.rowVersion, finished, queued, contextPatch: only!.plan.contextPatch, currentSteps: only!.plan.currentSteps, workerId: options.workerId, leaseMs: options.leaseMs, wake })
      : settleBatch(c, { expect, finished, queued, rows, history, events, workerId: options.workerId, leaseMs: options.leaseMs, now, wake });

  /** What the statement did, or null if a version had moved and it wrote nothing. */
  const read = (written: SettleBatchRow[]): BatchWritten | null => {
    const [row] = written;
    if (!row?.ok) return null;
    const byId = new Map(batch.map((b) => [b.instance.id, b]));
    const started = row.inserted
      .filter((r) => r.status === "running")
      .map((r): ClaimedRun => {
        const { instance, plan } = byId.get(r.instanceId)!;
        // The context as this statement leaves it: the batch's patches merged in, as the UPDATE does.
        return { id: r.id, instanceId: r.instanceId, stepKey: r.stepKey, attempt: r.attempt, definitionId: instance.definitionId, input: instance.input, context: { ...instance.context, ...plan.contextPatch }, startedAt: new Date(r.startedAt!) };
      });
    return {
      started,
      drained: batch.filter(({ instance, plan }) => instance.status === "paused" && plan.runningLeft === 0).map(({ instance }) => instance.id),
      inserted: row.inserted.map((r) => ({ id: r.id, instanceId: r.instanceId, stepKey: r.stepKey, status: r.status, workerId: r.status === "running" ? options.workerId : null })),
      versions: new Map(row.versions),
    };
  };
  return { statement, read };
}

/** Deadlocks and serialization failures are transient: the transaction is run again, a few times. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 3 || (code !== "40P01" && code !== "40001")) throw error;
      await new Promise((r) => setTimeout(r, 10 * attempt));
    }
  }
}

function owned(outcomes: StepOutcome[], runs: RunState[], instanceId: string, workerId: string): StepOutcome[] {
  const live = new Set(runs.filter((r) => r.instanceId === instanceId && r.status === "running" && r.workerId === workerId).map((r) => r.id));
  return outcomes.filter((o) => o.instanceId === instanceId && live.has(o.runId));
}
