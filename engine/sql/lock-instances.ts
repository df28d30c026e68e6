import type { ReservedSql, Sql } from "../prepared";

/**
 * Locks the instance rows `FOR NO KEY UPDATE` (which a claim's `FOR KEY SHARE` neither waits for
 * nor blocks) and reads them, with their row version (xmin) as `row_version`. Rows come back as
 * `select *` does (snake_case; map them with db/row-mapper.ts). `ids` is a uuid[] literal
 * (db/sql-arrays.ts), sorted by the caller: transactions that lock overlapping sets then lock
 * in the same order and never deadlock each other.
 */
export function lockInstances(c: Sql | ReservedSql, ids: string) {
  return c<({ row_version: string } & Record<string, unknown>)[]>`select *, xmin::text as row_version from instances where id = any(${ids}::uuid[]) order by id for no key update`;
}
