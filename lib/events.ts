import "server-only";
import { sqlOf, type Tx } from "@/db/client";
import { events, type Instance } from "@/db/schema";
import type { AccessAction, Actor, OutboxEventType } from "@/lib/domain";

/** The instance events: their payload is the instance. The lists are `eventTypes` in lib/domain.ts. */
export type EventType = Extract<OutboxEventType, `workflow.instance.${string}`>;

export type ApprovalEventType = Extract<OutboxEventType, `workflow.approval.${string}`>;

/** The version every outbox event is written with (the contract's v1.0.0); one place for the engine's batch statement and the helpers below. */
export const EVENT_VERSION = "1.0.0";

/** Channels the engine listens on; notifications are delivered only if the transaction commits. */
export const channels = {
  /** A step became runnable or an instance was resumed: workers should claim. */
  wake: "flowgate_wake",
  /** An instance was paused immediately or cancelled: workers abort its in-flight steps. */
  control: "flowgate_control",
  /** Any committed change with an outbox event (a trigger on `events` sends it): dashboards refresh. */
  changes: "flowgate_changes",
  /** A bulk operation was started: workers should take it up (engine/bulk-loop.ts). */
  bulk: "flowgate_bulk",
  /** A bulk operation's progress (its state and counts, lib/bulk-operations/progress.ts): its open pages move. */
  bulkProgress: "flowgate_bulk_progress",
  /** Steps started or finished (no outbox event): open instance pages refetch (lib/step-progress.ts, engine/progress-notifier.ts). */
  progress: "flowgate_progress",
} as const;

/**
 * Writes the event into the outbox inside the caller's transaction; the payload is the instance,
 * as JSON (what drizzle's jsonb column would write: JSON.stringify, dates as ISO strings). A
 * prepared statement: every pause and resume writes one.
 */
export async function enqueueEvent(tx: Tx, type: EventType, instance: Instance): Promise<void> {
  await sqlOf(tx)`insert into events (type, version, instance_id, payload) values (${type}, ${EVENT_VERSION}, ${instance.id}, ${JSON.stringify(instance)}::jsonb)`;
}

export type WorkflowEventType = Extract<OutboxEventType, "workflow.paused" | "workflow.resumed">;

/** Workflow-level events carry the workflow key, who acted and why; they belong to no instance. */
export async function enqueueWorkflowEvent(tx: Tx, type: WorkflowEventType, payload: { workflowKey: string; reason: string | null; actor: { id: string | null; label: string } }): Promise<void> {
  await tx.insert(events).values({ type, version: EVENT_VERSION, instanceId: null, payload });
}

/**
 * `access.changed`: who changed whose access, and how (the access log's row, lib/users/access-log.ts).
 * Never a secret in it: a token is named in `details`, not shown. It belongs to no instance.
 */
export async function enqueueAccessEvent(
  tx: Tx,
  payload: { subject: { id: string; email: string }; action: AccessAction; details: Record<string, unknown>; actor: Actor },
): Promise<void> {
  await tx.insert(events).values({ type: "access.changed", version: EVENT_VERSION, instanceId: null, payload });
}

/** Approval events carry the gate, and the decision or delegation when there is one. */
export async function enqueueApprovalEvent(tx: Tx, type: ApprovalEventType, instanceId: string, payload: Record<string, unknown>): Promise<void> {
  await tx.insert(events).values({ type, version: EVENT_VERSION, instanceId, payload });
}

/** NOTIFY on `channel` with `payload`, delivered only if the caller's transaction commits. A prepared statement. */
export async function notify(tx: Tx, channel: (typeof channels)[keyof typeof channels], payload: string): Promise<void> {
  await sqlOf(tx)`select pg_notify(${channel}, ${payload})`;
}
