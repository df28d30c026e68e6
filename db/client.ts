import "server-only";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { env } from "@/lib/env";
import * as schema from "./schema";

export type Db = PostgresJsDatabase<typeof schema>;
/** A transaction handle; every query helper accepts one so a use case can compose them in one transaction. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export function createDb(url: string, options: postgres.Options<{}> = {}) {
  const sql = postgres(url, { max: 10, onnotice: () => {}, ...options });
  return { sql, db: drizzle(sql, { schema, casing: "snake_case" }) };
}

type Cached = { sql: postgres.Sql; db: Db };
const globalForDb = globalThis as unknown as { flowgateDb?: Cached };

/** One pool per process, kept on globalThis so Next's hot reload does not leak connections. */
export function getConnection(): Cached {
  if (!globalForDb.flowgateDb) {
    const url = env().DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set; start Flowgate with `npm start`, which boots the embedded database.");
    globalForDb.flowgateDb = createDb(url);
  }
  return globalForDb.flowgateDb;
}

export const getDb = (): Db => getConnection().db;

/** Hands the process a pool it already has (tests and scripts that made their own database). */
export function useConnection(connection: Cached): void {
  globalForDb.flowgateDb = connection;
}
