import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { history } from "@/db/schema";
import { chainedRow, type HistoryEntry } from "@/lib/history";
import { anyUuid } from "./sql-arrays";

export type ChainHead = { instanceId: string; seq: number; hash: string };

/** The last history row (seq, hash) of each instance: where its chain continues. */
export function chainHeads(tx: Tx, instanceIds: string[]): Promise<ChainHead[]> {
  return tx
    .selectDistinctOn([history.instanceId], { instanceId: history.instanceId, seq: history.seq, hash: history.hash })
    .from(history)
    .where(anyUuid(history.instanceId, instanceIds))
    .orderBy(history.instanceId, sql`${history.seq} desc`);
}

/**
 * appendHistory for many instances at once (one entry per instance), as one INSERT: the engine's
 * batch completions write a `completed` row for every instance whose last step finished. Same rows
 * and the same chain rule as appendHistory (seq + 1, prevHash = the head's hash, hashed fields):
 * the caller holds each instance's row lock and read the heads under it.
 */
export function historyInsert(entries: HistoryEntry[], heads: ChainHead[], createdAt: Date): SQL | null {
  if (!entries.length) return null;
  const ids = entries.map((e) => e.instanceId);
  if (new Set(ids).size !== ids.length) throw new Error("historyInsert takes one entry per instance");
  const headOf = new Map(heads.map((h) => [h.instanceId, h]));
  const rows = entries.map((entry) => chainedRow(entry, headOf.get(entry.instanceId) ?? null, createdAt));
  // One jsonb parameter rather than n rows of parameters: one prepared statement for any batch size.
  return sql`
    insert into history (instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key, created_at, prev_hash, hash)
    select v."instanceId", v.seq, v.action::history_action, v."actorId", v."actorLabel", v.reason, v."fromStatus"::instance_status, v."toStatus"::instance_status,
           v.details, v."workflowKey", v."createdAt", v."prevHash", v.hash
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v("instanceId" uuid, seq int, action text, "actorId" uuid, "actorLabel" text, reason text,
      "fromStatus" text, "toStatus" text, details jsonb, "workflowKey" text, "createdAt" timestamptz, "prevHash" text, hash text)`;
}
