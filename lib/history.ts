import "server-only";
import { createHash } from "node:crypto";
import { sqlOf, type Tx } from "@/db/client";
import { rowMapper } from "@/db/row-mapper";
import { history, type Actor, type HistoryAction, type HistoryRow, type InstanceStatus } from "@/db/schema";
import { canonicalJson } from "./canonical-json";
import { storableText } from "@/lib/text";

export type HistoryEntry = {
  instanceId: string;
  workflowKey: string;
  action: HistoryAction;
  actor: Actor;
  reason?: string | null;
  fromStatus?: InstanceStatus | null;
  toStatus?: InstanceStatus | null;
  details?: Record<string, unknown>;
};

type HashedFields = Pick<
  HistoryRow,
  "instanceId" | "seq" | "action" | "actorId" | "actorLabel" | "reason" | "fromStatus" | "toStatus" | "details" | "workflowKey" | "createdAt" | "prevHash"
>;

export function historyHash(row: HashedFields): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        instanceId: row.instanceId,
        seq: row.seq,
        action: row.action,
        actorId: row.actorId,
        actorLabel: row.actorLabel,
        reason: row.reason,
        fromStatus: row.fromStatus,
        toStatus: row.toStatus,
        details: row.details,
        workflowKey: row.workflowKey,
        createdAt: row.createdAt.toISOString(),
        prevHash: row.prevHash,
      }),
    )
    .digest("hex");
}

/**
 * The next link of an instance's chain: seq one past the head, prevHash the head's hash, and
 * the row's own hash. The single rule for every writer of history (one row, or a batch).
 */
export function chainedRow(entry: HistoryEntry, head: { seq: number; hash: string } | null, createdAt: Date): HashedFields & { hash: string } {
  const fields: HashedFields = {
    instanceId: entry.instanceId,
    seq: (head?.seq ?? 0) + 1,
    action: entry.action,
    actorId: entry.actor.id,
    actorLabel: entry.actor.label,
    // Hashed as stored: text from a step or hook may hold NUL or half a surrogate pair, which the
    // database would not store as given (storableText leaves valid text unchanged).
    reason: entry.reason == null ? null : storableText(entry.reason),
    fromStatus: entry.fromStatus ?? null,
    toStatus: entry.toStatus ?? null,
    details: storableJson(entry.details ?? {}) as Record<string, unknown>,
    workflowKey: entry.workflowKey,
    createdAt,
    prevHash: head?.hash ?? null,
  };
  return { ...fields, hash: historyHash(fields) };
}

/** Every string in a JSON value (keys too) made storable, for jsonb: it refuses \u0000 and unpaired surrogates. */
function storableJson(value: unknown): unknown {
  if (typeof value === "string") return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableJson(v)]));
  }
  return value;
}

const toHistoryRow = rowMapper(history);

/**
 * Appends one row to the instance's hash chain. The caller must hold the instance row
 * lock (every command does): that lock is what keeps `seq` and `prevHash` from racing.
 * Two prepared statements (the chain's head, the insert), one round trip each; a caller that
 * can send the head's read together with another statement uses historyHead and insertHistory.
 */
export async function appendHistory(tx: Tx, entry: HistoryEntry): Promise<HistoryRow> {
  return insertHistory(tx, entry, await historyHead(tx, entry.instanceId));
}

export type ChainHead = { seq: number; hash: string };

/**
 * The head of the instance's chain (its last row's seq and hash), or null before its first row.
 * Read it holding the instance row lock, after taking it: the lock is what keeps it the head
 * until the caller's insertHistory commits. A prepared statement.
 */
export async function historyHead(tx: Tx, instanceId: string): Promise<ChainHead | null> {
  const [last] = await sqlOf(tx)<ChainHead[]>`select seq, hash from history where instance_id = ${instanceId} order by seq desc limit 1`;
  return last ?? null;
}

/** Inserts the row that follows `head` (chainedRow), stamped now; returns it as stored. A prepared statement. */
export async function insertHistory(tx: Tx, entry: HistoryEntry, head: ChainHead | null): Promise<HistoryRow> {
  const row = chainedRow(entry, head, new Date());
  const [inserted] = await sqlOf(tx)`insert into history (instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
    values (${row.instanceId}, ${row.seq}, ${row.action}, ${row.actorId}, ${row.actorLabel}, ${row.reason}, ${row.fromStatus}, ${row.toStatus},
      ${JSON.stringify(row.details)}::jsonb, ${row.workflowKey}, ${row.createdAt.toISOString()}::timestamptz, ${row.prevHash}, ${row.hash})
    returning *`;
  return toHistoryRow(inserted!);
}
