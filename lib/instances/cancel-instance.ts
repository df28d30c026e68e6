import "server-only";
import type { Db } from "@/db/client";
import type { Actor, Instance } from "@/db/schema";
import { conflict } from "@/lib/errors";
import { parseInput, type Untrusted } from "@/lib/validate";
import { endInstance } from "./end-instance";
import { cancelInputSchema, type CancelInput } from "./inputs";
import { lockInstance } from "./lock";

/**
 * Cancels an instance in one transaction: lock, then endInstance (its queued and running step
 * runs cancelled, pending gates withdrawn, any hold cleared, history, event). The NOTIFY on
 * `flowgate_control` makes the workers running its steps abort them; their results are discarded.
 * Throws a conflict when the state machine refuses (the instance has ended already).
 */
export async function cancelInstance(db: Db, raw: CancelInput | Untrusted, actor: Actor): Promise<Instance> {
  const input = parseInput(cancelInputSchema, raw);
  return db.transaction(async (tx) => {
    const current = await lockInstance(tx, input.instanceId, input.expectedVersion);
    const ended = await endInstance(tx, current, { command: "cancel", actor, reason: input.reason, runError: `Cancelled by ${actor.label}` });
    if (!ended.ok) throw conflict(ended.message);
    return ended.instance;
  });
}
