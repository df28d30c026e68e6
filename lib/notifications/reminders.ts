import "server-only";
import { and, eq, gt, isNotNull, isNull, lte, not, sql } from "drizzle-orm";
import type { Db } from "@/db/client";
import { gates, instances, type Gate } from "@/db/schema";
import { lockGate } from "@/lib/gates/lock-gate";
import { clocksStopped, readClocks } from "@/lib/instances/clocks";
import { isTerminal } from "@/lib/state-machine";
import { queueGateNotice, type NotifyConfig } from "./queue";

/*
 * The notices no event announces: reminders every `notifyEveryMs` (GateSpec) while a gate is
 * pending, and one "about to expire" notice. Both are clocks of the instance (DESIGN invariant 9):
 * none fires while it is fully paused, and resume moves the next reminder on (lib/instances/clocks.ts).
 */

/** The "about to expire" notice goes this long before expiry at most, or a quarter of the gate's lifetime if that is shorter. */
export const EXPIRY_WARNING_MAX_MS = 3_600_000;

/** When a gate's "about to expire" notice is due: expiresAt − min(1 h, (expiresAt − requestedAt) / 4); null without an expiry. */
export function expiryWarningAt(gate: Pick<Gate, "expiresAt" | "requestedAt">): Date | null {
  if (!gate.expiresAt) return null;
  const lead = Math.min(EXPIRY_WARNING_MAX_MS, Math.max(0, gate.expiresAt.getTime() - gate.requestedAt.getTime()) / 4);
  return new Date(gate.expiresAt.getTime() - lead);
}

// The same rule in SQL, to find the candidates; each is checked again with expiryWarningAt under the lock.
const warningDue = (now: Date) =>
  sql`${gates.expiresAt} - least(interval '${sql.raw(String(EXPIRY_WARNING_MAX_MS))} milliseconds', greatest(interval '0', ${gates.expiresAt} - ${gates.requestedAt}) / 4) <= ${now.toISOString()}::timestamptz`;

/**
 * Queues the reminders and expiry notices that are due at `now`. Each gate is handled in its own
 * transaction under the instance and gate locks (lockGate), and re-checked there: still pending,
 * still due, the instance's clocks running. A reminder goes to the people who may still decide
 * (someone who decided is no longer one), then the next is scheduled `notifyEveryMs` from now.
 * Several workers may sweep at once: the locks and the dedupe keys make each round go once.
 */
export async function sweepGateNotices(db: Db, config: NotifyConfig, now = new Date()): Promise<{ reminders: number; warnings: number }> {
  const dueReminders = await db
    .select({ id: gates.id })
    .from(gates)
    .innerJoin(instances, eq(instances.id, gates.instanceId))
    .where(and(eq(gates.status, "pending"), lte(gates.nextReminderAt, now), not(clocksStopped)))
    .limit(100);
  let reminders = 0;
  for (const { id } of dueReminders) {
    reminders += await db.transaction(async (tx) => {
      const facts = await lockGate(tx, id);
      const { gate, instance } = facts;
      if (gate.status !== "pending" || !gate.notifyEveryMs || !gate.nextReminderAt || gate.nextReminderAt > now) return 0;
      if (isTerminal(instance.status) || (await readClocks(tx, instance.id)).stopped) return 0;
      const round = gate.remindersSent + 1;
      await tx.update(gates).set({ remindersSent: round, nextReminderAt: new Date(now.getTime() + gate.notifyEveryMs) }).where(eq(gates.id, id));
      await queueGateNotice(tx, facts, "gate_reminder", `reminder:${id}:${round}`, config);
      return 1;
    });
  }

  const dueWarnings = await db
    .select({ id: gates.id })
    .from(gates)
    .innerJoin(instances, eq(instances.id, gates.instanceId))
    .where(and(eq(gates.status, "pending"), isNotNull(gates.expiresAt), gt(gates.expiresAt, now), isNull(gates.expiryWarnedAt), warningDue(now), not(clocksStopped)))
    .limit(100);
  let warnings = 0;
  for (const { id } of dueWarnings) {
    warnings += await db.transaction(async (tx) => {
      const facts = await lockGate(tx, id);
      const { gate, instance } = facts;
      const warnAt = expiryWarningAt(gate);
      if (gate.status !== "pending" || gate.expiryWarnedAt || !warnAt || warnAt > now || gate.expiresAt! <= now) return 0;
      if (isTerminal(instance.status) || (await readClocks(tx, instance.id)).stopped) return 0;
      await tx.update(gates).set({ expiryWarnedAt: now }).where(eq(gates.id, id));
      await queueGateNotice(tx, facts, "gate_expiring", `expiring:${id}`, config);
      return 1;
    });
  }
  return { reminders, warnings };
}
