import "server-only";
import { asc, eq } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { gateDecisions, gateDelegations, gates } from "@/db/schema";
import { notFound } from "@/lib/errors";
import { isUuid } from "@/lib/domain";
import { lockInstance } from "@/lib/instances/lock";

/**
 * Locks a gate for a decision. The instance is locked first, always: the engine and every
 * instance command take that lock, so one order everywhere means no deadlock, and the gate's
 * history rows can extend the instance's hash chain safely.
 */
export async function lockGate(tx: Tx, gateId: string) {
  if (!isUuid(gateId)) throw notFound("Gate");
  const [peek] = await tx.select({ instanceId: gates.instanceId }).from(gates).where(eq(gates.id, gateId));
  if (!peek) throw notFound("Gate");
  const instance = await lockInstance(tx, peek.instanceId);
  const [gate] = await tx.select().from(gates).where(eq(gates.id, gateId)).for("update");
  const [decisions, delegations] = await Promise.all([
    tx.select().from(gateDecisions).where(eq(gateDecisions.gateId, gateId)).orderBy(asc(gateDecisions.createdAt)),
    tx.select().from(gateDelegations).where(eq(gateDelegations.gateId, gateId)),
  ]);
  return { instance, gate: gate!, decisions, delegations };
}
