import "server-only";
import { inArray, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "@/db/client";
import { heldStartPolicies, workflowHoldLog, workflowStartPolicies, type Actor, type HeldStartPolicy, type WorkflowStartPolicy } from "@/db/schema";
import { optionalReason } from "@/lib/instances/inputs";
import { requiredText } from "@/lib/text";
import { parseInput, type Untrusted } from "@/lib/validate";
import { QUEUE_TTL_MAX_SECONDS, type WhenPaused } from "./sdk";
import { lockVersions } from "./workflow-pauses";

/*
 * What a paused workflow does with a new start: refuse it (409) or queue it (queued-starts.ts).
 * The workflow's code gives the default (`whenPaused` in defineWorkflow); an operator may
 * override it per workflow, and every change is a `policy_changed` row of the workflow pause log.
 */

const ttlSchema = z.preprocess(
  (v) => (v === "" || v === undefined ? null : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v),
  z
    .number({ error: "Enter a whole number of seconds" })
    .int("Enter a whole number of seconds")
    .min(1, "At least 1 second")
    .max(QUEUE_TTL_MAX_SECONDS, `At most ${QUEUE_TTL_MAX_SECONDS} seconds (a year)`)
    .nullable(),
);

export const startPolicyInputSchema = z
  .object({
    workflow: requiredText({ label: "Workflow", max: 200, required: "Name the workflow" }),
    policy: z.enum(heldStartPolicies, { error: "Choose refuse or queue" }),
    queueTtlSeconds: ttlSchema.optional().meta({ description: "Queue only: drop a start still waiting after this many seconds; null or absent: it waits until the pause ends" }),
    reason: optionalReason,
  })
  .superRefine((value, ctx) => {
    if (value.policy === "refuse" && value.queueTtlSeconds != null) ctx.addIssue({ code: "custom", path: ["queueTtlSeconds"], message: "A time-to-live applies only to queued starts" });
  });

/** The policy in force for a workflow: the operator's override if any, else the code's default (refuse when it says nothing). */
export type EffectiveStartPolicy = {
  policy: HeldStartPolicy;
  queueTtlSeconds: number | null;
  source: "operator" | "definition";
  setByLabel: string | null;
  setAt: Date | null;
};

/** Combines an override row (or none) with the code's default. */
export function effectiveOf(override: WorkflowStartPolicy | undefined, fromCode: WhenPaused | undefined): EffectiveStartPolicy {
  if (override) return { policy: override.policy, queueTtlSeconds: override.queueTtlSeconds, source: "operator", setByLabel: override.setByLabel, setAt: override.setAt };
  return { policy: fromCode?.policy ?? "refuse", queueTtlSeconds: fromCode?.queueTtlSeconds ?? null, source: "definition", setByLabel: null, setAt: null };
}

/** The policy in force for `workflowKey`, given the code's default (`whenPaused` of its newest version in the caller's catalog). */
export async function effectiveStartPolicy(db: DbOrTx, workflowKey: string, fromCode: WhenPaused | undefined): Promise<EffectiveStartPolicy> {
  const [override] = await db.select().from(workflowStartPolicies).where(eq(workflowStartPolicies.workflowKey, workflowKey));
  return effectiveOf(override, fromCode);
}

/** The operators' overrides of these workflows, by key (the Workflows page and API). */
export async function startPolicyOverrides(db: DbOrTx, keys: string[]): Promise<Map<string, WorkflowStartPolicy>> {
  if (!keys.length) return new Map();
  const rows = await db.select().from(workflowStartPolicies).where(inArray(workflowStartPolicies.workflowKey, keys));
  return new Map(rows.map((r) => [r.workflowKey, r]));
}

/** How a policy reads in the log and the UI: "queue (drop after 3600 s)". */
export const describePolicy = (p: { policy: HeldStartPolicy; queueTtlSeconds: number | null }) =>
  p.policy === "refuse" ? "refuse" : `queue${p.queueTtlSeconds ? ` (drop after ${p.queueTtlSeconds} s)` : ""}`;

/**
 * Sets an operator's policy for a workflow, in one transaction: its versions locked FOR UPDATE
 * (as a pause does, so no start decides on the old policy after this commits), the override
 * upserted, and a `policy_changed` log row saying the new policy and why.
 * Errors: `invalid` (fields named), `not_found` (no such workflow).
 */
export async function setStartPolicy(db: Db, raw: Untrusted, actor: Actor): Promise<WorkflowStartPolicy> {
  const input = parseInput(startPolicyInputSchema, raw);
  return db.transaction(async (tx) => {
    await lockVersions(tx, input.workflow);
    const values = { policy: input.policy, queueTtlSeconds: input.policy === "queue" ? (input.queueTtlSeconds ?? null) : null, setById: actor.id, setByLabel: actor.label, setAt: new Date() };
    const [row] = await tx
      .insert(workflowStartPolicies)
      .values({ workflowKey: input.workflow, ...values })
      .onConflictDoUpdate({ target: workflowStartPolicies.workflowKey, set: values })
      .returning();
    const said = `Starts while paused: ${describePolicy(row!)}`;
    await tx.insert(workflowHoldLog).values({ workflowKey: input.workflow, action: "policy_changed", reason: input.reason ? `${said}. ${input.reason}` : said, actorId: actor.id, actorLabel: actor.label });
    return row!;
  });
}
