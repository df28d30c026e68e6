import "server-only";
import { sqlOf, type Tx } from "@/db/client";
import { rowMapper } from "@/db/row-mapper";
import { instances, type Instance } from "@/db/schema";
import { isUuid } from "@/lib/domain";
import { conflict, notFound } from "@/lib/errors";

/**
 * Takes the instance row lock that every command serialises on. FOR UPDATE also conflicts
 * with the engine's FOR KEY SHARE claim, which is what stops a step starting after a pause.
 * Errors: `not_found` for a malformed or unknown id; `conflict` when `expectedVersion` is given
 * and the row has moved on since the caller read it.
 * A prepared statement (one round trip; see db/client.ts `sqlOf`): every command runs it.
 */
const toInstance = rowMapper(instances);

export async function lockInstance(tx: Tx, instanceId: string, expectedVersion?: number): Promise<Instance> {
  if (!isUuid(instanceId)) throw notFound("Instance");
  const [raw] = await sqlOf(tx)`select * from instances where id = ${instanceId} for update`;
  if (!raw) throw notFound("Instance");
  const row = toInstance(raw);
  if (expectedVersion !== undefined && row.version !== expectedVersion) {
    throw conflict(`The instance changed since you loaded it (it is now ${row.status}${row.pausedByLabel && row.status === "paused" ? `, paused by ${row.pausedByLabel}` : ""}); reload and try again`);
  }
  return row;
}
