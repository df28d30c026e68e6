import { getTableColumns, type Table } from "drizzle-orm";
import { toSnakeCase } from "drizzle-orm/casing";

/**
 * Turns rows read with plain postgres.js (`select *`, snake_case keys, timestamps as strings
 * because drizzle replaced the client's date parsers) into the objects a drizzle select returns.
 *
 * The engine's hot path talks to postgres.js directly: drizzle sends every query unprepared (the
 * whole text, parsed and planned again each time), while a postgres.js tagged template is a
 * prepared statement, sent once per connection. Deriving the mapping from the drizzle table keeps
 * one definition of the columns; a test compares it with drizzle's own select.
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
