import "server-only";
import { and, inArray, isNull } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { roles, users, type Gate } from "@/db/schema";
import { can } from "@/lib/auth/permissions";
import { isEligible } from "./rules";

/**
 * How many active (not deactivated) people are eligible to decide this gate now (rules.ts
 * `isEligible`): the base of a percent gate's quorum. Called under the gate's lock, at request
 * time and at each decision, so the quorum follows the people who exist when it is counted.
 */
export async function eligibleCount(db: DbOrTx, gate: EligibilityRule, startedById: string | null): Promise<number> {
  const people = await peopleWhoDecide(db);
  return people.filter((p) => isEligible(p, { gate, startedById })).length;
}

type EligibilityRule = Pick<Gate, "status" | "mode" | "required" | "approverRole" | "approvers" | "groups" | "roles" | "requestedById" | "escalatedAt" | "escalateTo">;

/** Active people whose role may decide gates: everyone a gate's rule could give a turn. */
async function peopleWhoDecide(db: DbOrTx) {
  const deciding = roles.filter((role) => can({ id: "", email: "", name: "", role }, "gates:decide"));
  return db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, groups: users.groups })
    .from(users)
    .where(and(inArray(users.role, deciding), isNull(users.deactivatedAt)));
}

/**
 * eligibleCount for several gates at once, reading the people once (a list of percent gates on
 * the approvals page): the counts in the order given.
 */
export async function eligibleCounts(db: DbOrTx, items: { gate: EligibilityRule; startedById: string | null }[]): Promise<number[]> {
  if (!items.length) return [];
  const people = await peopleWhoDecide(db);
  return items.map(({ gate, startedById }) => people.filter((p) => isEligible(p, { gate, startedById })).length);
}
