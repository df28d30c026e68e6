import type postgres from "postgres";

/**
 * The engine's hot path (claims, heartbeats, settling step outcomes) uses postgres.js directly
 * rather than drizzle. drizzle's postgres.js driver sends each query unnamed, so PostgreSQL
 * parses and plans the whole text every time and the text crosses the socket every time; a
 * postgres.js tagged template is a named prepared statement, described once per connection and
 * then sent as a short Bind/Execute. Measured on the no-op chain benchmark, that was most of the
 * worker's bytes on the wire and much of the database's CPU per step (see BENCHMARKS.md).
 *
 * Everything else (commands, pages, the rare engine paths) stays on drizzle; engine/README.md
 * ("SQL in the engine") has the rule. The prepared statements themselves live in engine/sql/.
 */
export type Sql = postgres.Sql<{}>;
export type ReservedSql = postgres.ReservedSql<{}>;

type Results<Q extends readonly PromiseLike<unknown>[]> = { -readonly [K in keyof Q]: Awaited<Q[K]> };

export type PipelinedTx = {
  /** The connection; build the statements for `first` and `last` on it. */
  c: ReservedSql;
  /** BEGIN and these statements in one round trip. */
  first<Q extends readonly PromiseLike<unknown>[]>(queries: Q): Promise<Results<Q>>;
  /** These statements and COMMIT in one round trip; the transaction is over when it resolves. */
  last<Q extends readonly PromiseLike<unknown>[]>(queries: Q): Promise<Results<Q>>;
};

/**
 * Runs a transaction on one connection with BEGIN pipelined into its first round trip and COMMIT
 * into its last, so a read-then-write transaction costs two round trips instead of four. A body
 * that returns without calling `last` is committed.
 *
 * The statements must be postgres.js queries created on `c`, and nothing else: postgres.js sends a
 * connection's queries in the order their `then` is first called, and Promise.all calls it in
 * array order, so BEGIN, the statements and COMMIT reach the server in exactly that order. (A
 * query built through drizzle starts a few microtasks later and could be overtaken by the
 * COMMIT.) Each statement carries its own Sync, so when one fails the rest fail with "transaction
 * is aborted", the COMMIT rolls back, and the first error is thrown.
 */
export async function pipelinedTransaction<T>(sql: Sql, body: (tx: PipelinedTx) => Promise<T>): Promise<T> {
  const c = await sql.reserve();
  // An object, not a let: TypeScript would narrow a local through the closures' assignments.
  const at: { state: "idle" | "open" | "done" } = { state: "idle" };
  const tx: PipelinedTx = {
    c,
    async first(queries) {
      if (at.state !== "idle") throw new Error("first() opens the transaction, once");
      at.state = "open";
      const [, ...results] = await settleAll([c`begin`, ...queries]);
      return results as Results<typeof queries>;
    },
    async last(queries) {
      if (at.state !== "open") throw new Error("last() needs an open transaction");
      at.state = "done";
      const results = await settleAll([...queries, c`commit`]);
      return results.slice(0, -1) as Results<typeof queries>;
    },
  };
  try {
    const result = await body(tx);
    if (at.state === "open") {
      at.state = "done";
      await c`commit`;
    }
    return result;
  } catch (error) {
    if (at.state === "open") await c`rollback`.catch(() => {});
    throw error;
  } finally {
    c.release();
  }
}

/** Promise.all that waits for every query before throwing the first error: the connection must be idle before it is released. */
async function settleAll(queries: readonly PromiseLike<unknown>[]): Promise<unknown[]> {
  const results = await Promise.allSettled(queries);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value);
}

/**
 * Connection settings for the worker's pool. Its statements are prepared once per connection
 * and executed thousands of times a second with small, similar inputs (a few ids, a jsonb batch):
 * a generic plan suits them all, and replanning each execution (what PostgreSQL does for the
 * first five, and for good after statistics change) cost more than executing them.
 */
export const engineConnection = { connection: { plan_cache_mode: "force_generic_plan" } } as const;
