import type { Instance } from "@/db/schema";
import type { ChainHead } from "./history-batch";
import type { Plan } from "@/lib/instances/lifecycle/plan";
import type { RunState } from "./sql/runs-and-heads";

/**
 * What this worker's own last settle of a running instance left behind: the row, its runs, its
 * history head, and the row version (xmin) that settle wrote. While that version is still the
 * row's, nothing has changed the instance since (every command, every other settle, every gate
 * and hook decision updates the row), so the next step of it can be planned from this without
 * reading anything, and written in one statement that first checks the version under the row
 * lock: one round trip instead of two.
 */
export type KnownState = { instance: Instance; runs: RunState[]; head: ChainHead | null; rowVersion: string };
/** Known states by instance id; the worker keeps one, engine/settle.ts reads and updates it. */
export type KnownStates = Map<string, KnownState>;

/** A safety net: entries live only while the worker has a run of the instance in flight (see remember). */
const KNOWN_MAX = 10_000;

/** A batch entry as settled: the state it was planned from and the plan. */
type Settled = { instance: Instance; plan: Plan; runs: RunState[]; head: ChainHead | null };
/** What the batch statement wrote: the runs it inserted and each instance row's new version. */
type Written = { inserted: RunState[]; versions: Map<string, string> };

/**
 * After a write: what each instance now is, for the next settle of it to start from, or forgets
 * it once it is finished, no longer running, or has no run of this worker in flight.
 */
export function remember(known: KnownStates, batch: Settled[], written: Written, workerId: string): void {
  if (known.size > KNOWN_MAX) known.clear();
  for (const { instance, plan, runs, head } of batch) {
    const rowVersion = written.versions.get(instance.id);
    const ended = new Map(plan.finished.map((f) => [f.runId, f.status]));
    const now = [...runs.map((r) => (ended.has(r.id) ? { ...r, status: ended.get(r.id)! } : r)), ...written.inserted.filter((r) => r.instanceId === instance.id)];
    // Kept only while one of this worker's runs of it is in flight: its outcome is the only
    // thing that will ever consult the entry, so the map stays as small as the worker's concurrency.
    const inFlightHere = now.some((r) => r.status === "running" && r.workerId === workerId);
    if (plan.complete || !rowVersion || instance.status !== "running" || !inFlightHere) {
      known.delete(instance.id);
      continue;
    }
    known.set(instance.id, {
      instance: { ...instance, context: { ...instance.context, ...plan.contextPatch }, currentSteps: plan.currentSteps },
      runs: now,
      head,
      rowVersion,
    });
  }
}
