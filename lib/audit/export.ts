import "server-only";
import type postgres from "postgres";
import type { Db } from "@/db/client";
import { history } from "@/db/schema";
import { z } from "zod";
import { historyOrder, historyQuery, historyWhere, type HistoryFilter } from "./queries";

export const exportFormats = ["csv", "ndjson"] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** `GET /history/export`: the history filter, plus the file's format. */
export const historyExportQuery = historyQuery.extend({ format: z.enum(exportFormats, { error: "Choose csv or ndjson" }).default("csv") });

/**
 * The query of a small log (access changes, workflow pauses): `format=csv` asks for all of it as a
 * download; anything else, or nothing, is the JSON page, as it always was (hence the catch).
 */
export const logDownloadQuery = z.object({ format: z.literal("csv").optional().catch(undefined) });

/** Column order is part of the format: append new columns at the end, never reorder. */
export const exportColumns = [
  ["id", "id"],
  ["created_at", "createdAt"],
  ["instance_id", "instanceId"],
  ["workflow_key", "workflowKey"],
  ["seq", "seq"],
  ["action", "action"],
  ["actor_label", "actorLabel"],
  ["actor_id", "actorId"],
  ["reason", "reason"],
  ["from_status", "fromStatus"],
  ["to_status", "toStatus"],
  ["details", "details"],
  ["prev_hash", "prevHash"],
  ["hash", "hash"],
] as const;

type RawRow = Record<(typeof exportColumns)[number][0], unknown>;

function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * RFC 4180 quoting. A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a
 * leading apostrophe: an audit export must not execute what an operator typed as a reason.
 */
export function csvCell(value: unknown): string {
  let s = text(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A small log (access changes, workflow pauses) as a CSV download: a header row, then one row
 * per entry, each cell through csvCell. Big logs stream (exportHistory); these fit in a response.
 */
export function csvResponse(name: string, header: string[], rows: unknown[][]): Response {
  const body = [header, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(body, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="flowgate-${name}-${stamp}.csv"` } });
}

function normalise(row: RawRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [column, key] of exportColumns) {
    const value = row[column];
    if (column === "created_at") out[key] = (value instanceof Date ? value : new Date(String(value).replace(" ", "T").replace(/\+00$/, "Z"))).toISOString();
    else if (column === "details") out[key] = typeof value === "string" ? JSON.parse(value) : value;
    else if (column === "id" || column === "seq") out[key] = Number(value);
    else out[key] = value ?? null;
  }
  return out;
}

/**
 * Streams exactly the rows the filter selects, newest first, through a server-side cursor:
 * memory stays flat however many rows match. The WHERE comes from historyWhere, the same
 * definition the page and the API list use, so an export is what the screen shows.
 */
export function exportHistory(db: Db, sql: postgres.Sql, filter: HistoryFilter, format: ExportFormat): ReadableStream<Uint8Array> {
  const query = db.select().from(history).where(historyWhere(filter)).orderBy(...historyOrder).toSQL();
  const encoder = new TextEncoder();
  let iterator: AsyncIterator<RawRow[]> | null = null;
  let headerSent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!headerSent && format === "csv") {
        headerSent = true;
        controller.enqueue(encoder.encode(`${exportColumns.map(([c]) => c).join(",")}\r\n`));
        return;
      }
      iterator ??= sql.unsafe<RawRow[]>(query.sql, query.params as postgres.ParameterOrJSON<never>[]).cursor(1000)[Symbol.asyncIterator]();
      const next = await iterator.next();
      if (next.done) {
        controller.close();
        return;
      }
      const lines = next.value.map((raw) => {
        const row = normalise(raw);
        return format === "csv" ? `${exportColumns.map(([, key]) => csvCell(row[key])).join(",")}\r\n` : `${JSON.stringify(row)}\n`;
      });
      controller.enqueue(encoder.encode(lines.join("")));
    },
    async cancel() {
      await iterator?.return?.();
    },
  });
}
