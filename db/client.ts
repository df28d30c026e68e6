import "server-only";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { env } from "@/lib/env";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;
/** A transaction handle; every query helper accepts one so a use case can compose them in one transaction. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

/**
 * Seconds a pool waits before reopening a connection that failed, by how many failed in a row.
 * postgres.js grows this to 20 s, and a query waits out the delay before it can even fail: that
 * was most of an 18.9 s hang per request during an outage, and of the wait after the database
 * came back. Capped at 1 s: a refused connect is cheap, and the pool size bounds the attempts.
 */
const reconnectBackoff = (retries: number): number => Math.min(0.05 * 2 ** retries, 1);

/**
 * A pool and its drizzle handle. Every pool gives up connecting after
 * FLOWGATE_DB_CONNECT_TIMEOUT_S seconds (postgres.js waits 30 s by default) and retries a lost
 * connection within a second, so a database that is down fails a request within seconds instead
 * of hanging it, and the same pool serves again as soon as it is back; `options` override anything.
 */
export function createDb(url: string, options: postgres.Options<{}> = {}) {
  const sql = postgres(url, { max: 10, onnotice: () => {}, connect_timeout: env().FLOWGATE_DB_CONNECT_TIMEOUT_S, backoff: reconnectBackoff, ...options });
  return { sql, db: drizzle(sql, { schema, casing: "snake_case" }) };
}

/**
 * Options of the dashboard's pool (pages, server actions, API routes): a statement_timeout of
 * FLOWGATE_DB_STATEMENT_TIMEOUT_MS milliseconds (0 = none), sent as a startup parameter so it
 * holds on every connection, including those reopened after an outage. A request never waits on
 * the database longer than that; PostgreSQL cancels the statement (57014) and the request answers
 * 503 (lib/db-unavailable.ts). Scripts and the worker, whose long statements are legitimate, do not use it.
 */
export function dashboardPoolOptions(): postgres.Options<{}> {
  const timeout = env().FLOWGATE_DB_STATEMENT_TIMEOUT_MS;
  return timeout > 0 ? { connection: { statement_timeout: timeout } } : {};
}

type Cached = { sql: postgres.Sql; db: Db };
const globalForDb = globalThis as unknown as { flowgateDb?: Cached };

/** One pool per process, kept on globalThis so Next's hot reload does not leak connections. */
export function getConnection(): Cached {
  if (!globalForDb.flowgateDb) {
    const url = env().DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set; start Flowgate with `npm start`, which boots the embedded database.");
    globalForDb.flowgateDb = createDb(url, { max: env().FLOWGATE_DB_POOL, ...dashboardPoolOptions() });
  }
  return globalForDb.flowgateDb;
}

export const getDb = (): Db => getConnection().db;

/** Hands the process a pool it already has (tests and scripts that made their own database). */
export function useConnection(connection: Cached): void {
  globalForDb.flowgateDb = connection;
}

/**
 * The postgres.js client under a drizzle handle: the pool for a Db, the transaction's own
 * connection for a Tx (drizzle runs `db.transaction` on postgres.js's `begin`). A tagged template
 * on it (`` sqlOf(tx)`select …` ``) is a named prepared statement, parsed and described once per
 * connection and then sent as one short Bind/Execute round trip, inside the caller's transaction;
 * drizzle's own queries go unnamed, in two round trips each (see db/row-mapper.ts). Rows come back
 * as postgres.js reads them: snake_case keys, timestamps as strings (drizzle replaced those
 * parsers), so map them with rowMapper; send timestamps as ISO strings and jsonb as JSON text.
 */
export function sqlOf(handle: DbOrTx): postgres.Sql {
  return (handle._.session as unknown as { client: postgres.Sql }).client;
}
