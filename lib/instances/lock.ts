import "server-only";
import { eq } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { instances, type Instance } from "@/db/schema";
import { isUuid } from "@/lib/domain";
import { conflict, notFound } from "@/lib/errors";

/**
 * Takes the instance row lock that every command serialises on. FOR UPDATE also conflicts
 * with the engine's FOR KEY SHARE claim, which is what stops a step starting after a pause.
 * Errors: `not_found` for a malformed or unknown id; `conflict` when `expectedVersion` is given
 * and the row has moved on since the caller read it.
 */
export async function lockInstance(tx: Tx, instanceId: string, expectedVersion?: number): Promise<Instance> {
  if (!isUuid(instanceId)) throw notFound("Instance");
  const [row] = await tx.select().from(instances).where(eq(instances.id, instanceId)).for("update");
  if (!row) throw notFound("Instance");
  if (expectedVersion !== undefined && row.version !== expectedVersion) {
    throw conflict(`The instance changed since you loaded it (it is now ${row.status}${row.pausedByLabel && row.status === "paused" ? `, paused by ${row.pausedByLabel}` : ""}); reload and try again`);
  }
  return row;
}
