/**
 * Awaits statements sent together on one connection (a pipeline: postgres.js writes the queries a
 * caller issues in the same tick in one socket write, and PostgreSQL runs them in order), so a
 * transaction pays one round trip for the batch instead of one per statement. Waits for every
 * one before throwing, so the connection is idle when the caller rolls back; throws the root
 * cause: the first failure in array order that is not PostgreSQL's "current transaction is
 * aborted" (25P02), which the statements after a failed one get.
 */
export async function settleAll<Q extends readonly unknown[]>(queries: Q): Promise<{ -readonly [K in keyof Q]: Awaited<Q[K]> }> {
  const results = await Promise.allSettled(queries);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as unknown);
  if (failures.length) throw failures.find((e) => (e as { code?: unknown } | null)?.code !== "25P02") ?? failures[0];
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof Q]: Awaited<Q[K]> };
}
