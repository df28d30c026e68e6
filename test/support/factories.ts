import { randomBytes } from "node:crypto";
import type { Db } from "@/db/client";
import { instances, stepRuns, users, workflowDefinitions, type Actor, type InstanceStatus, type Role, type StepSpec } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { appendHistory } from "@/lib/history";

// A cheap precomputed hash: factories never sign in with a password, so scrypt's cost buys nothing.
const NO_PASSWORD = "scrypt$16384$8$1$AAAA$AAAA";

export async function createUser(db: Db, role: Role, overrides: Partial<{ email: string; name: string; passwordHash: string; groups: string[] }> = {}): Promise<SessionUser> {
  const email = overrides.email ?? `${role}-${randomBytes(4).toString("hex")}@test.dev`;
  const [row] = await db
    .insert(users)
    .values({ email, name: overrides.name ?? `Test ${role}`, role, passwordHash: overrides.passwordHash ?? NO_PASSWORD, groups: overrides.groups ?? [] })
    .returning();
  return { id: row!.id, email: row!.email, name: row!.name, role: row!.role, groups: row!.groups };
}

export const actor = (user: SessionUser): Actor => ({ id: user.id, label: user.email });

const defaultSteps: StepSpec[] = [
  { key: "a", name: "Step A", dependsOn: [] },
  { key: "b", name: "Step B", dependsOn: ["a"] },
];

export async function createDefinition(db: Db, overrides: Partial<{ key: string; version: number; steps: StepSpec[] }> = {}) {
  const [row] = await db
    .insert(workflowDefinitions)
    .values({ key: overrides.key ?? `wf-${randomBytes(4).toString("hex")}`, version: overrides.version ?? 1, name: "Test workflow", steps: overrides.steps ?? defaultSteps })
    .returning();
  return row!;
}

/** An instance in the given status, with a `started` history row, as the engine would have left it. */
export async function createInstance(
  db: Db,
  overrides: Partial<{ status: InstanceStatus; definitionId: string; workflowKey: string; startedBy: Actor; context: Record<string, unknown>; input: Record<string, unknown>; pendingSteps: string[]; runningSteps: string[] }> = {},
) {
  const def = overrides.definitionId
    ? { id: overrides.definitionId, key: overrides.workflowKey! }
    : await createDefinition(db);
  const starter = overrides.startedBy ?? { id: null, label: "test" };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(instances)
      .values({ definitionId: def.id, workflowKey: def.key, status: overrides.status ?? "running", startedById: starter.id, startedByLabel: starter.label, context: overrides.context ?? {}, input: overrides.input ?? {}, currentSteps: overrides.pendingSteps ?? [] })
      .returning();
    for (const key of overrides.pendingSteps ?? []) await tx.insert(stepRuns).values({ instanceId: row!.id, stepKey: key });
    for (const key of overrides.runningSteps ?? []) {
      await tx.insert(stepRuns).values({ instanceId: row!.id, stepKey: key, status: "running", startedAt: new Date(), workerId: "test", leaseExpiresAt: new Date(Date.now() + 60_000) });
    }
    await appendHistory(tx, { instanceId: row!.id, workflowKey: def.key, action: "started", actor: starter, fromStatus: "pending", toStatus: row!.status });
    return row!;
  });
}

/** An instance waiting at a gate before step "b", requested on behalf of `startedBy`; `after`: more steps of its definition. */
export async function createGatedInstance(db: Db, gate: NonNullable<StepSpec["gate"]>, startedBy: Actor = { id: null, label: "test" }, after: StepSpec[] = []) {
  const { requestGate } = await import("@/lib/gates/request-gate");
  const steps: StepSpec[] = [
    { key: "a", name: "Step A", dependsOn: [] },
    { key: "b", name: "Step B", dependsOn: ["a"], gate },
    // Steps after the gated one (the branches of a gate with options), as the caller names them.
    ...after,
  ];
  const def = await createDefinition(db, { steps });
  const inst = await createInstance(db, { status: "waiting", definitionId: def.id, workflowKey: def.key, startedBy });
  const created = await db.transaction((tx) => requestGate(tx, inst, { ...steps[1]!, gate }));
  return { instance: inst, gate: created! };
}

/** A failed instance as the engine leaves it: step "a" failed its only attempt with `error`, nothing else ran. */
export async function createFailedInstance(db: Db, error = "a: upstream returned 503") {
  const inst = await createInstance(db, { status: "failed" });
  await db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "a", status: "failed", startedAt: new Date(), finishedAt: new Date(), workerId: "test", error });
  return inst;
}
