import { sql, type AnyColumn, type SQL } from "drizzle-orm";
import { uuidList } from "./raw";

/**
 * `column = any($1::uuid[])` with the ids as ONE array parameter. An IN list of n parameters is a
 * different statement text for every n, which postgres.js must parse and describe again (an extra
 * round trip each time); one array parameter keeps the hot statements prepared once.
 */
export function anyUuid(column: AnyColumn | SQL, ids: readonly string[]): SQL {
  return sql`${column} = any(${uuidArray(ids)})`;
}

export function uuidArray(ids: readonly string[]): SQL {
  return sql`${uuidList(ids)}::uuid[]`;
}
