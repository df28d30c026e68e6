import "server-only";
import { sqlOf, type Tx } from "@/db/client";
import { rowMapper, rowWriter } from "@/db/row-mapper";
import { instances, type Instance } from "@/db/schema";

const toInstance = rowMapper(instances);
const toColumns = rowWriter(instances);

/**
 * Writes `patch` (any columns but `id` and `version`) to the instance row, bumps its `version` by one, and resolves to the row as
 * stored. The caller holds the row lock (lockInstance) and has checked the transition. One
 * prepared statement per column set (the pause's, the resume's), sent when called, so it can be
 * pipelined with others (settleAll): the pause and resume commands' update, issue 15 §2.
 * @throws Error if the row is gone, which the caller's lock rules out.
 */
export async function updateInstanceRow(tx: Tx, instanceId: string, patch: Partial<Omit<typeof instances.$inferInsert, "id" | "version">>): Promise<Instance> {
  const sql = sqlOf(tx);
  const [row] = await sql`update instances set ${sql(toColumns(patch))}, version = version + 1 where id = ${instanceId} returning *`;
  if (!row) throw new Error(`updateInstanceRow: no instance ${instanceId}`);
  return toInstance(row);
}
