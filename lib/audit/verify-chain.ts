import { createHash } from "node:crypto";
import type postgres from "postgres";
import type { HistoryAction, InstanceStatus } from "@/db/schema";
import { historyHash } from "@/lib/history";
import { appendSealed, readSealed, sealFile, type SealConfig, type SealedHeads, type SignedCheckpoint } from "./seal";

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

/** One problem found. historyId/instanceId/seq are null when it is not about one row (a count, a file). */
export type ChainBreak = { historyId: number | null; instanceId: string | null; seq: number | null; problem: string };

export type ChainReport = {
  ok: boolean;
  /** Rows and chains with history id ≤ throughId, and the hash sealing those chains' heads. */
  rows: number;
  chains: number;
  throughId: number;
  headsHash: string;
  /** Every break found, in the order found, at most `maxListed` of them; breakCount counts all. */
  breaks: ChainBreak[];
  breakCount: number;
  /** The first break (breaks[0]), for callers that show one. */
  broken?: ChainBreak;
  /** The signed checkpoint the history was checked against, if any. */
  signed: Pick<SignedCheckpoint, "at" | "throughId" | "rows"> | null;
  durationMs: number;
};

export type VerifyOptions = {
  onProgress?: (rows: number) => void;
  /** Rows fetched per round trip of the server-side cursor. */
  batch?: number;
  /** Seal through this history id (verifyAndCheckpoint passes a settled horizon); default: the newest row. */
  throughId?: number;
  /** Check against the newest signed checkpoint kept outside the database (lib/audit/seal.ts). */
  seal?: SealConfig | null;
  /** How many breaks to keep in the report (all are counted). Default 1000. */
  maxListed?: number;
};

/** Accumulates the heads of every chain over rows with id ≤ through, in (instance, seq) order. */
class HeadsSeal {
  private readonly digest = createHash("sha256");
  private head: string | null = null;
  rows = 0;
  chains = 0;
  constructor(readonly through: number) {}
  /** A new chain starts: the previous chain's head (if it had a row ≤ through) joins the seal. */
  nextChain(): void {
    if (this.head) this.digest.update(this.head);
    this.head = null;
  }
  add(row: RawRow): void {
    if (Number(row.id) > this.through) return;
    if (!this.head) this.chains++;
    this.rows++;
    this.head = `${row.instance_id}:${row.seq}:${row.hash}\n`;
  }
  finish(): SealedHeads {
    this.nextChain();
    return { throughId: this.through, rows: this.rows, chains: this.chains, headsHash: this.digest.digest("hex") };
  }
}

const recompute = (row: RawRow): string =>
  historyHash({
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

/**
 * Walks every instance's chain in (instance, seq) order with a server-side cursor (constant
 * memory), inside one REPEATABLE READ snapshot, and reports every break, not only the first:
 * - a row whose content does not match its hash, that does not link to its predecessor's hash,
 *   or whose seq jumps (a row missing);
 * - an instance whose status is not the to-status of its last history row that has one (its
 *   change committed with its history row; a row deleted, or a status set behind the app's back);
 * - fewer rows up to the last recorded (database) checkpoint than it counted;
 * - with `seal`: a signed checkpoint file that was altered, and history up to the newest signed
 *   checkpoint whose row count or chain heads differ from what it sealed (rows removed, or rows
 *   rewritten with their hashes recomputed, which the plain chain cannot catch).
 * Throws only on a database or file error.
 */
export async function verifyChains(sql: postgres.Sql, options: VerifyOptions = {}): Promise<ChainReport> {
  const started = performance.now();
  const maxListed = options.maxListed ?? 1000;
  const breaks: ChainBreak[] = [];
  let breakCount = 0;
  const report = (b: ChainBreak) => {
    breakCount++;
    if (breaks.length < maxListed) breaks.push(b);
  };

  let signed: SignedCheckpoint | null = null;
  let database = "";
  if (options.seal) {
    [{ database }] = (await sql`select current_database() as database`) as unknown as [{ database: string }];
    const read = await readSealed(options.seal, database);
    signed = read.latest;
    for (const problem of read.problems) report({ historyId: null, instanceId: null, seq: null, problem });
  }

  const { sealed, checked } = await sql.begin("isolation level repeatable read read only", async (tx) => {
    const [{ max }] = (await tx`select coalesce(max(id), 0)::bigint as max from history`) as unknown as [{ max: string }];
    const current = new HeadsSeal(options.throughId ?? Number(max));
    const against = signed ? new HeadsSeal(signed.throughId) : null;
    let rows = 0;
    let prev: { instanceId: string; seq: number; hash: string } | null = null;

    await tx<RawRow[]>`
      select id, instance_id, seq, action, actor_id, actor_label, reason, from_status, to_status, details, workflow_key,
             to_char(created_at at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at, prev_hash, hash
      from history order by instance_id, seq`.cursor(options.batch ?? 2000, (batch) => {
      for (const row of batch) {
        const first = prev?.instanceId !== row.instance_id;
        if (first) {
          current.nextChain();
          against?.nextChain();
        }
        const at = { historyId: Number(row.id), instanceId: row.instance_id, seq: row.seq };
        const expectedSeq = first ? 1 : prev!.seq + 1;
        if (row.seq !== expectedSeq) report({ ...at, problem: `sequence jumps from ${expectedSeq - 1} to ${row.seq}: a row is missing` });
        else if (row.prev_hash !== (first ? null : prev!.hash)) report({ ...at, problem: "does not link to the previous row's hash" });
        if (recompute(row) !== row.hash) report({ ...at, problem: "its content does not match its hash: it was altered" });
        // Go on from the row as it stands, so one tampered row is one break, not one per row after it.
        prev = { instanceId: row.instance_id, seq: row.seq, hash: row.hash };
        current.add(row);
        against?.add(row);
        rows++;
      }
      options.onProgress?.(rows);
    });

    // Each status change commits with its history row, so an instance's status is the to-status of
    // its last history row that has one. Mismatches are few: stream them too.
    await tx<{ id: string; status: InstanceStatus; history_id: string | null; seq: number | null; to_status: InstanceStatus | null }[]>`
      select i.id, i.status, l.id as history_id, l.seq, l.to_status
      from instances i
      left join lateral (
        select h.id, h.seq, h.to_status from history h
        where h.instance_id = i.id and h.to_status is not null order by h.seq desc limit 1
      ) l on true
      where l.to_status is distinct from i.status
      order by i.id`.cursor(options.batch ?? 2000, (batch) => {
      for (const m of batch) {
        report({
          historyId: m.history_id === null ? null : Number(m.history_id),
          instanceId: m.id,
          seq: m.seq,
          problem: m.to_status
            ? `the instance is ${m.status} but its last history row says ${m.to_status}: a history row is missing or the status was changed behind the app`
            : `the instance is ${m.status} but has no history row saying so`,
        });
      }
    });

    // Rows deleted from the end of a chain leave no gap; the last recorded checkpoint's count notices them.
    const [last] = (await tx`select through_id, rows from audit_checkpoints where ok = 'ok' order by id desc limit 1`) as unknown as [{ through_id: number; rows: number }?];
    if (last) {
      const [{ count }] = (await tx`select count(*)::int as count from history where id <= ${last.through_id}`) as unknown as [{ count: number }];
      if (count < last.rows) report({ historyId: last.through_id, instanceId: null, seq: null, problem: `${last.rows - count} row(s) sealed by the last checkpoint are gone` });
    }
    return { sealed: current.finish(), checked: against?.finish() ?? null };
  });

  if (signed && checked) {
    const where = `the signed checkpoint of ${signed.at} (through history row ${signed.throughId})`;
    if (checked.rows !== signed.rows || checked.chains !== signed.chains) {
      report({ historyId: signed.throughId, instanceId: null, seq: null, problem: `${where} sealed ${signed.rows} rows in ${signed.chains} chains; there are ${checked.rows} in ${checked.chains}: sealed rows were removed or added` });
    } else if (checked.headsHash !== signed.headsHash) {
      report({ historyId: signed.throughId, instanceId: null, seq: null, problem: `the chain heads no longer match ${where}: sealed history was rewritten and its hashes recomputed` });
    }
  }

  return {
    ok: breakCount === 0,
    ...sealed,
    breaks,
    breakCount,
    broken: breaks[0],
    signed: signed ? { at: signed.at, throughId: signed.throughId, rows: signed.rows } : null,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * The newest history id below which nothing can still appear: takes the history table in SHARE
 * mode, which waits for every transaction inserting into it to end (and holds new inserts back for
 * that moment only), so every row with a smaller id is committed or gone for good. A checkpoint
 * sealed through it cannot be contradicted later by a slow transaction committing an older id.
 */
async function settledHorizon(sql: postgres.Sql): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`set local lock_timeout = '10s'`;
    await tx`lock table history in share mode`;
    const [{ max }] = (await tx`select coalesce(max(id), 0)::bigint as max from history`) as unknown as [{ max: string }];
    return Number(max);
  });
}

/**
 * Verifies (as the tables' owner: it writes audit_checkpoints and takes a lock the app role
 * cannot) and records the result, so the history page can say how far the chain is proven. When
 * the history is intact and `seal` is given, also appends a signed checkpoint of the chain heads
 * to the file outside the database; a broken history is never signed.
 */
export async function verifyAndCheckpoint(sql: postgres.Sql, options: VerifyOptions = {}): Promise<ChainReport & { sealedTo: string | null }> {
  const report = await verifyChains(sql, { ...options, throughId: await settledHorizon(sql) });
  const first = report.broken;
  const problem = first ? `${first.problem}${report.breakCount > 1 ? ` (and ${report.breakCount - 1} more break(s))` : ""}` : null;
  await sql`
    insert into audit_checkpoints (through_id, rows, chains, heads_hash, ok, broken_history_id, problem, duration_ms)
    values (${report.throughId}, ${report.rows}, ${report.chains}, ${report.headsHash}, ${report.ok ? "ok" : "broken"},
            ${first?.historyId ?? null}, ${problem}, ${report.durationMs})`;
  let sealedTo: string | null = null;
  if (report.ok && options.seal) {
    const [{ database }] = (await sql`select current_database() as database`) as unknown as [{ database: string }];
    await appendSealed(options.seal, database, { throughId: report.throughId, rows: report.rows, chains: report.chains, headsHash: report.headsHash });
    sealedTo = sealFile(options.seal, database);
  }
  return { ...report, sealedTo };
}
