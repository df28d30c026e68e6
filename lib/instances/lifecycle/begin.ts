import "server-only";
import { eq } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { Tx } from "@/db/client";
import { instances, type Actor, type Instance, type StepSpec } from "@/db/schema";
import { channels, enqueueEvent, notify } from "@/lib/events";
import { appendHistory } from "@/lib/history";
import { holdIfAWindowCovers } from "@/lib/maintenance/window-filter";
import { transition } from "@/lib/state-machine";
import { scheduleRoots } from "./advance";

/**
 * Starts a `pending` instance: pending → running (the state machine's `start`), history
 * `started` by `actor` with `details`, its root steps queued (or gated, or checkpointed), the
 * `workflow.instance.started` event, and a NOTIFY that wakes a worker. One home for a fresh start
 * (startInstance) and a queued start whose workflow's pause ended (lib/workflows/queued-starts.ts).
 * `set` is written with the status (a queued start's moved deadline). The caller holds the row
 * exclusively (a row it just inserted, or one locked FOR UPDATE). Throws when the row is not pending.
 * An active maintenance window over a filter of instances that this one matches holds it here, in
 * the same transaction, before any worker can claim its first step (window-filter.ts).
 */
export async function beginInstance(
  tx: Tx,
  pending: Instance,
  steps: StepSpec[],
  actor: Actor,
  details: Record<string, unknown>,
  set: PgUpdateSetSource<typeof instances> = {},
): Promise<Instance> {
  const t = transition(pending.status, "start");
  if (!t.ok) throw new Error(t.message);
  const [running] = await tx.update(instances).set({ ...set, status: t.to, updatedAt: new Date() }).where(eq(instances.id, pending.id)).returning();
  await appendHistory(tx, { instanceId: running!.id, workflowKey: running!.workflowKey, action: "started", actor, fromStatus: t.from, toStatus: t.to, details });
  const instance = await scheduleRoots(tx, running!, steps);
  await enqueueEvent(tx, "workflow.instance.started", instance);
  await notify(tx, channels.wake, instance.id);
  return holdIfAWindowCovers(tx, instance);
}
