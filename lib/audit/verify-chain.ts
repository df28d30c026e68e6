import { createHash } from "node:crypto";
import type postgres from "postgres";
import type { HistoryAction, InstanceStatus } from "@/db/schema";
import { historyHash } from "@/lib/history";

type RawRow = {
  id: string;
  instance_id: string;
  seq: number;
  action: HistoryAction;
  actor_id: string | null;
  actor_label: string;
  reason: string | null;
  from_status: InstanceStatus | null;
  to_status: InstanceStatus | null;
  // Raw text on a client drizzle has configured, parsed on a plain one: accept both.
  details: Record<string, unknown> | string;
  workflow_key: string;
  created_at: string;
  prev_hash: string | null;
  hash: string;
};

export type ChainReport = {
  ok: boolean;
  rows: number;
  chains: number;
  throughId: number;
  headsHash: string;
  broken?: { historyId: number; instanceId: string; seq: number; problem: string };
  durationMs: number;
};

/**
 * Walks every instance's chain in (instance, seq) order with a server-side cursor (constant
 * memory), recomputing each row's hash and checking it links to its predecessor with no gap.
 * Stops at the first broken link. Also checks that no row up to the last checkpoint vanished.
 */
export async function verifyChains(sql: postgres.Sql, options: { onProgress?: (rows: number) => void; batch?: number } = {}): Promise<ChainReport> {
  const started = performance.now();
  const [{ max }] = (await sql`select coalesce(max(id), 0)::bigint as max from history`) as unknown as [{ max: string }];
  const throughId = Number(max);
  const heads = createHash("sha256");
  let rows = 0;
  let chains = 0;
  let current: { instanceId: string; seq: number; hash: string } | null = null;
  let broken: ChainReport["broken"];
  // The last row of the chain being walked; all heads are sealed together into headsHash.
  let head: string | null = null;

  const check = (row: RawRow): string | null => {
    const first = current?.instanceId !== row.instance_id;
    const expectedSeq = first ? 1 : current!.seq + 1;
    const expectedPrev = first ? null : current!.hash;
    if (row.seq !== expectedSeq) return `sequence jumps from ${first ? 0 : current!.seq} to ${row.seq}: a row is missing`;
    if (row.prev_hash !== expectedPrev) return "does not link to the previous row's hash";
    const recomputed = historyHash({
      instanceId: row.instance_id,
      seq: row.seq,
      action: row.action,
      actorId: row.actor_id,
      actorLabel: row.actor_label,
      reason: row.reason,
      fromStatus: row.from_status,
      toStatus: row.to_status,
      details: typeof row.details === "string" ? (JSON.parse(row.details) as Record<string, unknown>) : row.details,
      workflowKey: row.workflow_key,
      createdAt: new Date(row.created_at),
      prevHash: row.prev_hash,
    });
    return recomputed === row.hash ? null : "its content does not match its hash: it was altered";
  };

  await sql<RawRow[]>`
    select id, instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key,
           to_char(created_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at, prev_hash, hash
    from history where id <= ${throughId} order by instance_id, seq`
    .cursor(options.batch ?? 2000, (batch) => {
      for (const row of batch) {
        const problem = check(row);
        if (problem) {
          broken = { historyId: Number(row.id), instanceId: row.instance_id, seq: row.seq, problem };
          return sql.CLOSE;
        }
        if (current?.instanceId !== row.instance_id) {
          if (head) heads.update(head);
          chains++;
        }
        current = { instanceId: row.instance_id, seq: row.seq, hash: row.hash };
        head = `${row.instance_id}:${row.seq}:${row.hash}\n`;
        rows++;
      }
      options.onProgress?.(rows);
    });
  if (head && !broken) heads.update(head);

  if (!broken) {
    // Rows deleted from the end of a chain leave no gap; the last checkpoint's count notices them.
    const [last] = (await sql`select through_id, rows from audit_checkpoints where ok = 'ok' order by id desc limit 1`) as unknown as [{ through_id: number; rows: number }?];
    if (last) {
      const [{ count }] = (await sql`select count(*)::int as count from history where id <= ${last.through_id}`) as unknown as [{ count: number }];
      if (count < last.rows) broken = { historyId: last.through_id, instanceId: "", seq: 0, problem: `${last.rows - count} row(s) sealed by the last checkpoint are gone` };
    }
  }
  return { ok: !broken, rows, chains, throughId, headsHash: heads.digest("hex"), broken, durationMs: Math.round(performance.now() - started) };
}

/** Verifies and records the result, so the history page can say how far the chain is proven. */
export async function verifyAndCheckpoint(sql: postgres.Sql, options: Parameters<typeof verifyChains>[1] = {}): Promise<ChainReport> {
  const report = await verifyChains(sql, options);
  await sql`
    insert into audit_checkpoints (through_id, rows, chains, heads_hash, ok, broken_history_id, problem, duration_ms)
    values (${report.throughId}, ${report.rows}, ${report.chains}, ${report.headsHash}, ${report.ok ? "ok" : "broken"},
            ${report.broken?.historyId ?? null}, ${report.broken?.problem ?? null}, ${report.durationMs})`;
  return report;
}
