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
export async function eligibleCount(db: DbOrTx, gate: Pick<Gate, "status" | "mode" | "required" | "approverRole" | "approvers" | "groups" | "roles" | "requestedById" | "escalatedAt" | "escalateTo">, startedById: string | null): Promise<number> {
  const deciding = roles.filter((role) => can({ id: "", email: "", name: "", role }, "gates:decide"));
  const people = await db
    .select({ id: users.id, email: users.email, name: users.name, role: users.role, groups: users.groups })
    .from(users)
    .where(and(inArray(users.role, deciding), isNull(users.deactivatedAt)));
  return people.filter((p) => isEligible(p, { gate, startedById })).length;
}
