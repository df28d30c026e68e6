import "server-only";
import { and, count, eq, gte, ilike, lte, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { history, historyActions, reasonCategories } from "@/db/schema";
import { UUID_PATTERN } from "@/lib/domain";
import { decodeCursor, encodeCursor, limitSchema } from "@/lib/cursor";
import { AppError } from "@/lib/errors";
import { isoDate, optionalText } from "@/lib/text";
import { fieldErrors } from "@/lib/validate";

const blankToUndefined = (v: unknown) => (v === "" ? undefined : v);
// Filters go through the same text and date rules as commands (lib/text.ts): a NUL or an
// unpaired surrogate would make PostgreSQL fail the query, and a year outside 1970–9999 is no filter anyone means.
const filterText = (label: string) => optionalText({ label, max: 200 });

export const historyQuery = z.object({
  instanceId: z.preprocess(blankToUndefined, z.string().regex(UUID_PATTERN, "Not an instance id").optional()),
  actor: filterText("Actor"),
  action: z.preprocess(blankToUndefined, z.enum(historyActions).optional()),
  workflow: filterText("Workflow"),
  q: filterText("Search text"),
  category: z.preprocess(blankToUndefined, z.enum(reasonCategories).optional()),
  from: isoDate({ label: "From date" }),
  // A bare day as the upper bound means "through the end of that day" (UTC), as a person reads it.
  to: isoDate({ label: "To date", endOfDay: true }),
  cursor: z.string().max(200).optional(),
  /** The page before this cursor (a page's `prevCursor`): the way back, which keyset pages otherwise lack. */
  before: z.string().max(200).optional(),
  limit: limitSchema,
});
export type HistoryQuery = z.input<typeof historyQuery>;
export type HistoryFilter = z.output<typeof historyQuery>;

const cursorSchema = z.tuple([z.string().datetime(), z.number().int().positive()]);

function escapeLike(text: string) {
  return text.replace(/[%_\\]/g, (c) => `\\${c}`);
}

/** The WHERE of a history filter: one definition shared by the page, the API and exports. */
export function historyWhere(filter: HistoryFilter): SQL | undefined {
  return and(
    filter.instanceId ? eq(history.instanceId, filter.instanceId) : undefined,
    filter.actor ? actorMatch(filter.actor) : undefined,
    filter.action ? eq(history.action, filter.action) : undefined,
    filter.workflow ? eq(history.workflowKey, filter.workflow) : undefined,
    filter.q ? ilike(history.reason, `%${escapeLike(filter.q)}%`) : undefined,
    filter.category ? sql`${history.details}->>'category' = ${filter.category}` : undefined,
    filter.from ? gte(history.createdAt, filter.from) : undefined,
    filter.to ? lte(history.createdAt, filter.to) : undefined,
  );
}

/**
 * A full email matches exactly, so its index hands rows over already in time order; anything
 * shorter is a case-insensitive prefix ("alice" finds alice@example.com).
 */
function actorMatch(actor: string): SQL {
  const wanted = actor.toLowerCase();
  return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(wanted)
    ? sql`lower(${history.actorLabel}) = ${wanted}`
    : sql`lower(${history.actorLabel}) like ${`${escapeLike(wanted)}%`}`;
}

/** The log's one order, newest first; every filter index ends in these columns, in this order. */
export const historyOrder = [sql`${history.createdAt} desc nulls last`, sql`${history.id} desc nulls last`];

/**
 * Newest first, keyset-paginated on (created_at, id): a page is an index range scan whatever
 * the filter, and rows arriving while someone pages down land above the cursor, never in it.
 * `cursor` pages down (older rows); `before` pages back up: the same range scan read the other
 * way, the `limit` rows just newer than the cursor, turned back to newest first. `prevCursor` is
 * null on the first page, where there is nothing newer to go back to.
 */
export async function listHistory(db: DbOrTx, filter: HistoryFilter) {
  const key = sql`(${history.createdAt}, ${history.id})`;
  if (filter.before) {
    const before = decodeCursor(cursorSchema, filter.before)!;
    const rows = await db
      .select()
      .from(history)
      .where(and(historyWhere(filter), sql`${key} > (${before[0]}::timestamptz, ${before[1]})`))
      .orderBy(sql`${history.createdAt} asc nulls first`, sql`${history.id} asc nulls first`)
      .limit(filter.limit + 1);
    const items = rows.slice(0, filter.limit).reverse();
    const newest = items[0];
    const oldest = items.at(-1);
    return {
      items,
      // Rows older than this page exist: the page we came back from at least.
      nextCursor: oldest ? cursorOf(oldest) : null,
      prevCursor: rows.length > filter.limit && newest ? cursorOf(newest) : null,
    };
  }
  const after = decodeCursor(cursorSchema, filter.cursor);
  const rows = await db
    .select()
    .from(history)
    .where(and(historyWhere(filter), after ? sql`${key} < (${after[0]}::timestamptz, ${after[1]})` : undefined))
    .orderBy(...historyOrder)
    .limit(filter.limit + 1);
  const items = rows.slice(0, filter.limit);
  const last = items.at(-1);
  const first = items[0];
  return {
    items,
    nextCursor: rows.length > filter.limit && last ? cursorOf(last) : null,
    prevCursor: after && first ? cursorOf(first) : null,
  };
}

const cursorOf = (row: { createdAt: Date; id: number }) => encodeCursor([row.createdAt.toISOString(), row.id]);

/**
 * For the /history page: parses raw query parameters with the API's schema and lists the page,
 * never throwing on bad input (a malformed filter or cursor is an error keyed by its field, shown
 * beside the form, and no rows). Database failures still throw.
 */
export async function listHistoryForPage(db: DbOrTx, raw: Record<string, string | undefined>): Promise<{ page: Awaited<ReturnType<typeof listHistory>> | null; errors: Record<string, string[]> }> {
  const parsed = historyQuery.safeParse(raw);
  if (!parsed.success) return { page: null, errors: fieldErrors(parsed.error) };
  try {
    return { page: await listHistory(db, parsed.data), errors: {} };
  } catch (error) {
    if (error instanceof AppError) return { page: null, errors: error.fields ?? { _: [error.message] } };
    throw error;
  }
}

export async function countHistory(db: DbOrTx, filter: HistoryFilter): Promise<number> {
  const [row] = await db.select({ n: count() }).from(history).where(historyWhere(filter));
  return row?.n ?? 0;
}
