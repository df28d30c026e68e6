import { sql, type AnyColumn, type SQL } from "drizzle-orm";
import { isUuid } from "@/lib/domain";

/**
 * PostgreSQL array literals for passing a list as ONE parameter (`= any($1::uuid[])`), the only
 * place the engine builds them. An IN list of n parameters is a different statement text for every
 * n, which postgres.js must parse and describe again (an extra round trip each time); one array
 * parameter keeps the hot statements prepared once, and drizzle's `sql` would expand a JS array
 * into n parameters.
 */

/**
 * A uuid[] literal, `{id,id,…}`, for `= any($1::uuid[])`. Throws `Error("not a uuid: …")` on
 * anything else, so that no text can reach the literal unquoted.
 */
export function uuidList(ids: readonly string[]): string {
  for (const id of ids) if (!isUuid(id)) throw new Error(`not a uuid: ${id}`);
  return `{${ids.join(",")}}`;
}

/**
 * A text[] literal, `{"a","b"}`, for `= any($1::text[])`: every element double-quoted with `"`
 * and `\` backslash-escaped, so commas, braces, spaces and the word NULL stay inside their element.
 */
export function textList(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}

/** `column = any($1::uuid[])` for a drizzle query, with the ids as one parameter. */
export function anyUuid(column: AnyColumn | SQL, ids: readonly string[]): SQL {
  return sql`${column} = any(${uuidArray(ids)})`;
}

/** `column = any($1::text[])` for a drizzle query, with the values as one parameter. */
export function anyText(column: AnyColumn | SQL, values: readonly string[]): SQL {
  return sql`${column} = any(${textArray(values)})`;
}

/** The ids as one `uuid[]` parameter of a drizzle query. */
export function uuidArray(ids: readonly string[]): SQL {
  return sql`${uuidList(ids)}::uuid[]`;
}

/** The values as one `text[]` parameter of a drizzle query. */
export function textArray(values: readonly string[]): SQL {
  return sql`${textList(values)}::text[]`;
}
