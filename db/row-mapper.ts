import { getTableColumns, type Table } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";

/**
 * Turns rows read with plain postgres.js (`select *`, snake_case keys, timestamps as strings
 * because drizzle replaced the client's date parsers) into the objects a drizzle select returns.
 *
 * The hot paths (the engine's claims and settles, the pause/resume commands' lock, history and
 * outbox statements) talk to postgres.js directly: drizzle sends every query unprepared, which
 * postgres.js does in two round trips (Parse/Describe to learn the parameter types, then
 * Bind/Execute) with the whole text each time, while a postgres.js tagged template is a named
 * prepared statement, described once per connection and then one short round trip. Deriving the
 * mapping from the drizzle table keeps one definition of the columns; a test compares it with
 * drizzle's own select.
 */
export function rowMapper<T extends Table>(table: T): (row: object) => T["$inferSelect"] {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({ key, name: toSnakeCase(key), column }));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const { key, name, column } of columns) {
      const value = (row as Record<string, unknown>)[name];
      out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return out as T["$inferSelect"];
  };
}

/**
 * The other direction, for the same hot paths' updates: a patch keyed by the drizzle table's
 * property names (`pausedAt`, type-checked against the table's insert type) becomes an object of
 * snake_case column names and driver values (Dates as ISO strings, jsonb as JSON text), for
 * postgres.js's dynamic `sql(values)` in `update … set ${sql(values)}`. A statement built that
 * way is prepared once per connection and column set, where drizzle's update builder renders the
 * whole statement again on every call (0.4–0.7 ms of CPU per pause or resume, bench:api's
 * profile). Keys whose value is `undefined` are left out, as drizzle's `.set()` leaves them.
 */
export function rowWriter<T extends Table>(table: T): (patch: Partial<T["$inferInsert"]>) => Record<string, unknown> {
  const columns = new Map(Object.entries(getTableColumns(table)).map(([key, column]) => [key, { name: toSnakeCase(key), column }]));
  return (patch) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const target = columns.get(key);
      if (!target) throw new Error(`rowWriter: ${key} is not a column`);
      out[target.name] = value === null ? null : target.column.mapToDriverValue(value);
    }
    return out;
  };
}
