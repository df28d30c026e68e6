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

/** How long an export waits for its reader to ask for more before it gives up its cursor: 5 minutes. */
export const EXPORT_IDLE_MS = 5 * 60_000;

/**
 * Streams exactly the rows the filter selects, newest first, through a server-side cursor:
 * memory stays flat however many rows match. The WHERE comes from historyWhere, the same
 * definition the page and the API list use, so an export is what the screen shows.
 *
 * A cursor holds a pooled connection and an open transaction until it is read to the end, so an
 * export a client walks away from must close it: on `signal` (the request's, aborted when the
 * client disconnects), on the stream's cancel, and when the reader has not asked for more for
 * `idleMs` (EXPORT_IDLE_MS; backpressure alone would otherwise keep it open forever). Issue 15
 * found abandoned exports keeping their connections.
 */
export function exportHistory(db: Db, sql: postgres.Sql, filter: HistoryFilter, format: ExportFormat, options: { signal?: AbortSignal; idleMs?: number } = {}): ReadableStream<Uint8Array> {
  const query = db.select().from(history).where(historyWhere(filter)).orderBy(...historyOrder).toSQL();
  const encoder = new TextEncoder();
  let iterator: AsyncIterator<RawRow[]> | null = null;
  let headerSent = false;
  let closed = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  let reading: Promise<unknown> = Promise.resolve();
  /** Ends the cursor (its transaction and connection go back to the pool) once any read in flight has landed. */
  const release = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(idle);
    options.signal?.removeEventListener("abort", abandon);
    await reading.catch(() => {});
    // postgres.js's cursor answers return() with a bare value, not always a promise.
    await Promise.resolve()
      .then(() => iterator?.return?.())
      .catch(() => {});
  };
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  function abandon() {
    void release().then(() => {
      try {
        stream?.error(new Error("The export was abandoned"));
      } catch {
        // Already closed or errored.
      }
    });
  }
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(abandon, options.idleMs ?? EXPORT_IDLE_MS);
    idle.unref?.();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stream = controller;
      if (options.signal?.aborted) return abandon();
      options.signal?.addEventListener("abort", abandon, { once: true });
      armIdle();
    },
    async pull(controller) {
      if (closed) return;
      if (!headerSent && format === "csv") {
        headerSent = true;
        controller.enqueue(encoder.encode(`${exportColumns.map(([c]) => c).join(",")}\r\n`));
        armIdle();
        return;
      }
      // The idle limit measures the reader, not the database: it is off while a fetch is in flight.
      clearTimeout(idle);
      iterator ??= sql.unsafe<RawRow[]>(query.sql, query.params as postgres.ParameterOrJSON<never>[]).cursor(1000)[Symbol.asyncIterator]();
      const read = iterator.next();
      reading = read;
      const next = await read;
      if (closed) return;
      if (next.done) {
        closed = true;
        clearTimeout(idle);
        options.signal?.removeEventListener("abort", abandon);
        controller.close();
        return;
      }
      const lines = next.value.map((raw) => {
        const row = normalise(raw);
        return format === "csv" ? `${exportColumns.map(([, key]) => csvCell(row[key])).join(",")}\r\n` : `${JSON.stringify(row)}\n`;
      });
      controller.enqueue(encoder.encode(lines.join("")));
      armIdle();
    },
    async cancel() {
      await release();
    },
  });
}
