import type { windowWithLog } from "@/lib/maintenance/windows";
import { createSelectSchema } from "drizzle-zod";
import { z } from "zod";
import {
  accessChanges,
  apiTokens,
  bulkActions,
  bulkItemStatuses,
  bulkOperations,
  gateDecisions,
  gateDelegations,
  gateModes,
  gates,
  history,
  instances,
  instanceStatuses,
  roles,
  stepRuns,
  stepRunStatuses,
  users,
  webhookAttempts,
  webhookDeliveries,
  webhookSubscriptions,
  workflowDefinitions,
  workflowHoldLog,
  workflowHolds,
  workflowStartPolicies,
  maintenanceWindows,
  maintenanceWindowLog,
  type GateSpec,
  type StepSpec,
} from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { errorCodes } from "@/lib/errors";
import type { DecisionResult } from "@/lib/gates/decide-gate";
import type { InstanceGate, listGates } from "@/lib/gates/queries";
import type { BulkSummary } from "@/lib/instances/bulk";
import type { BulkOperationView, listBulkOperations, listBulkTargets } from "@/lib/bulk-operations/queries";
import type { countBulkTargets } from "@/lib/bulk-operations/start";
import type { InstanceDetail, InstanceListItem, countByStatus } from "@/lib/instances/queries";
import type { listHistory } from "@/lib/audit/queries";
import type { listUsers } from "@/lib/users/manage-users";
import { tokenStatuses, type TokenView } from "@/lib/users/tokens";
import type { listDefinitions } from "@/lib/workflows/queries";
import type { DeliveryView, replayDelivery } from "@/lib/webhooks/deliveries";
import type { SubscriptionView } from "@/lib/webhooks/subscriptions";
import { COUNT_CAP, WORKFLOW_COUNT_CAP } from "@/lib/instances/limits";

/*
 * What the REST API answers, as zod schemas for the OpenAPI document (lib/api/openapi.ts). Rows
 * come from the Drizzle tables through drizzle-zod, so a column's type and nullability have one
 * definition; the shapes built by queries are composed from those rows. Each schema is held to
 * the type its query or use case returns (the `satisfies Agree<…>` lines at the end): add, drop
 * or retype a field on either side and `tsc` fails, so the document cannot drift from the code.
 * Dates are `z.date()` here, as the code returns them; the document renders them as the
 * `date-time` strings that JSON carries.
 */

/** A jsonb object column (input, context, details): any JSON object. */
const jsonObject = z.record(z.string(), z.unknown());

export const instanceSchema = createSelectSchema(instances, { input: jsonObject, context: jsonObject }).meta({ id: "Instance", description: "An instance as a command leaves it" });

const instanceColumns = instanceSchema.pick({
  id: true,
  workflowKey: true,
  status: true,
  currentSteps: true,
  startedByLabel: true,
  pausedAt: true,
  pausedByLabel: true,
  pauseReason: true,
  pauseCategory: true,
  pauseTicketUrl: true,
  pauseMode: true,
  pauseKind: true,
  resumeAt: true,
  version: true,
  createdAt: true,
  updatedAt: true,
});
const definition = createSelectSchema(workflowDefinitions).pick({ name: true, version: true });
const listExtras = {
  workflowName: definition.shape.name,
  workflowVersion: definition.shape.version,
  drainingSteps: z.number().int().meta({ description: "Steps still running while a graceful pause drains" }),
  waitingFor: z.array(z.object({ stage: z.string(), whoMayApprove: z.string() })).meta({ description: "The pending gates the instance waits for, and who may approve each, in words" }),
  nextSteps: z.array(z.string()).meta({ description: "For a paused instance with no current step: the steps it goes to when resumed" }),
  pausedByExplanation: z.string().nullable().meta({ description: "Who paused it, in words (`step:extract` → the step extract asked to pause)" }),
};

export const instanceListItemSchema = instanceColumns.extend(listExtras).meta({ id: "InstanceListItem" });

/** A keyset page: `nextCursor` is null on the last page. */
const page = <S extends z.ZodType>(item: S) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const instancePageSchema = page(instanceListItemSchema);

export const instanceCountsSchema = z
  .partialRecord(z.enum(instanceStatuses), z.number().int())
  .meta({ description: `Instances by status, each counted up to ${COUNT_CAP.toLocaleString("en")} + 1: ${(COUNT_CAP + 1).toLocaleString("en")} means more than ${COUNT_CAP.toLocaleString("en")}. A status with none is absent` });

const onExpiry = z.enum(["fail", "continue", "step"]);
const gateFormField = z.object({
  type: z.enum(["string", "number", "integer", "boolean"]),
  enum: z.array(z.string()).optional(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  exclusiveMinimum: z.number().optional(),
  exclusiveMaximum: z.number().optional(),
  minLength: z.number().optional(),
  maxLength: z.number().optional(),
});
const gateForm = z
  .object({ type: z.literal("object"), properties: z.record(z.string(), gateFormField), required: z.array(z.string()).optional(), order: z.array(z.string()).optional().meta({ description: "The fields in the author's order" }) })
  .meta({ id: "GateForm", description: "What the approver fills in when approving: JSON Schema of choices (enum), text, numbers and yes/no fields" });
const gateOption = z.object({ name: z.string(), label: z.string().optional(), next: z.string() }).meta({ id: "GateOption", description: "A named choice besides reject, leading to its `next` step" });
const formValues = z.record(z.string(), z.unknown()).nullable();

const gateSpecSchema = z.object({
  stage: z.string(),
  approvals: z.number().int().optional(),
  mode: z.enum(gateModes).optional(),
  approverRole: z.enum(roles).optional(),
  approvers: z.array(z.string()).optional(),
  groups: z.array(z.string()).optional(),
  roles: z.array(z.enum(roles)).optional(),
  instructions: z.string().optional(),
  percent: z.number().int().optional(),
  form: gateForm.optional(),
  options: z.array(gateOption).optional(),
  expiresAfterMs: z.number().optional(),
  onExpiry: z.union([z.enum(["fail", "continue"]), z.object({ step: z.string() })]).optional(),
  escalateAfterMs: z.number().optional(),
  escalateTo: z.array(z.string()).optional(),
  notifyEveryMs: z.number().optional(),
}).meta({ id: "GateSpec", description: "A gate as the workflow's code declares it" });

const stepSpecSchema = z.object({
  key: z.string(),
  name: z.string(),
  dependsOn: z.array(z.string()),
  pauseBefore: z.boolean().optional(),
  gate: gateSpecSchema.optional(),
  retries: z.number().int().optional(),
  timeoutMs: z.number().optional(),
}).meta({ id: "StepSpec" });

const stepRun = createSelectSchema(stepRuns);
// onExpiry is a text column narrowed with $type, which drizzle-zod cannot see.
const gateRow = createSelectSchema(gates, { onExpiry, form: gateForm.nullable(), options: z.array(gateOption), values: formValues });
const decisionSchema = createSelectSchema(gateDecisions, { values: formValues }).meta({ id: "GateDecision" });
export const delegationSchema = createSelectSchema(gateDelegations).meta({ id: "GateDelegation" });
export const historyRowSchema = createSelectSchema(history, { details: jsonObject }).meta({ id: "HistoryRow" });

export const gateSchema = gateRow.meta({ id: "Gate" });
export const gateWithDecisionsSchema = gateRow
  .extend({ decisions: z.array(decisionSchema), delegations: z.array(delegationSchema), progress: z.string().meta({ description: "How far the gate is, in words (\"1 of 2 approvals\")" }) })
  .meta({ id: "GateWithDecisions" });
export const gatePageSchema = page(gateWithDecisionsSchema);

export const decisionResultSchema = z.object({
  gate: gateSchema,
  outcome: z.enum(["recorded", "approved", "rejected"]),
  progress: z.string(),
  heldBy: z.string().nullable().meta({ description: "Who holds the instance paused once the decision is recorded (it moves on when resumed), or null" }),
  skipped: z.array(z.string()).meta({ description: "Steps skipped because the gate passed by another branch (empty when it has none or is not settled yet)" }),
});

const stepLogLineSchema = z
  .object({
    at: z.string().meta({ format: "date-time" }),
    level: z.enum(["info", "warn", "error", "fatal"]),
    msg: z.string(),
    fields: z.string().optional().meta({ description: "The line's structured fields as JSON text, up to 1000 characters" }),
  })
  .meta({ id: "StepLogLine" });

const stepSchema = z.object({
  key: z.string(),
  name: z.string(),
  dependsOn: z.array(z.string()),
  pauseBefore: z.boolean(),
  gate: gateSpecSchema.nullable(),
  status: z.enum([...stepRunStatuses, "not_started"]),
  attempt: z.number().int(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  error: z.string().nullable(),
  runs: z.array(
    stepRun.pick({ id: true, attempt: true, status: true, startedAt: true, finishedAt: true, error: true, workerId: true, endReason: true }).extend({
      output: z.unknown().meta({ description: "What a completed attempt returned (any JSON); null otherwise" }),
      logs: z.array(stepLogLineSchema).meta({ description: "What the run logged through ctx.log (info and above), oldest first: the newest 100 lines, each message up to 1000 characters" }),
      logsDropped: z.number().int().meta({ description: "Older lines not kept" }),
    }),
  ),
});

export const instanceDetailSchema = instanceColumns
  .extend({
    ...listExtras,
    ...instanceSchema.pick({ definitionId: true, input: true, context: true, error: true, finishedAt: true, dueAt: true, pausedFromStatus: true, queuedAt: true, queueExpiresAt: true }).shape,
    steps: z.array(stepSchema),
    gates: z.array(gateWithDecisionsSchema),
    history: z.array(historyRowSchema).meta({ description: "The newest 50 history rows, newest first; older ones through GET /api/v1/history?instanceId=…" }),
    historyMore: z.boolean().meta({ description: "True when the instance has older history rows than `history` carries" }),
    lastChange: historyRowSchema.nullable().meta({ description: "The newest history row that changed the status (who set the current one), or null" }),
  })
  .meta({ id: "InstanceDetail" });

export const bulkSummarySchema = z.object({
  succeeded: z.number().int(),
  failed: z.number().int(),
  results: z.array(
    z.union([
      z.object({ instanceId: z.string(), ok: z.literal(true) }),
      z.object({ instanceId: z.string(), ok: z.literal(false), code: z.string(), message: z.string(), headline: z.string().meta({ description: "The message without its instance-specific time, to group refusals by" }) }),
    ]),
  ),
  refusals: z.array(z.object({ code: z.enum(errorCodes), headline: z.string(), count: z.number().int() })).meta({ description: "The refusals grouped by what they say" }),
});

const bulkFilterOut = z.object({ status: z.string(), workflow: z.string().optional(), q: z.string().optional(), input: z.string().optional() }).meta({ description: "The instance filter: status (or `all`), workflow key, id prefix, input search (`field=value, …`)" });
const bulkCountsSchema = z.object(Object.fromEntries(bulkItemStatuses.map((s) => [s, z.number().int()])) as Record<(typeof bulkItemStatuses)[number], z.ZodNumber>);
export const bulkOperationSchema = createSelectSchema(bulkOperations, { filter: bulkFilterOut })
  .omit({ leaseOwner: true, leaseExpiresAt: true })
  .extend({ counts: bulkCountsSchema.meta({ description: "Targets by status: pending, succeeded, refused, skipped (by a cancel)" }), done: z.number().int().meta({ description: "Targets no longer pending" }) })
  .meta({ id: "BulkOperation", description: "A pause or resume of every instance a filter matched, run by the worker; `matched` targets fixed when it started" });
export const bulkOperationPageSchema = page(bulkOperationSchema);
export const bulkTargetPageSchema = page(
  z.object({
    instanceId: z.string(),
    seq: z.number().int(),
    status: z.enum(bulkItemStatuses),
    code: z.string().nullable(),
    message: z.string().nullable().meta({ description: "Why it was refused" }),
    doneAt: z.date().nullable(),
    workflowKey: z.string(),
    instanceStatus: z.enum(instanceStatuses).meta({ description: "The instance's status now" }),
  }),
);
export const bulkPreviewSchema = z.object({ action: z.enum(bulkActions), filter: bulkFilterOut, matched: z.number().int().meta({ description: "Instances the action would act on now" }) });

export const workflowHoldSchema = createSelectSchema(workflowHolds).meta({ id: "WorkflowHold" });
export const workflowListSchema = z.object({
  items: z.array(
    createSelectSchema(workflowDefinitions, { steps: z.array(stepSpecSchema) }).extend({
      counts: z
        .partialRecord(z.enum(instanceStatuses), z.number().int())
        .meta({ description: `Its instances by status, each counted up to ${WORKFLOW_COUNT_CAP.toLocaleString("en")} + 1: ${(WORKFLOW_COUNT_CAP + 1).toLocaleString("en")} means more than ${WORKFLOW_COUNT_CAP.toLocaleString("en")}. A status with none is absent` }),
      hold: workflowHoldSchema.nullable().meta({ description: "Who paused the workflow and why; null while instances may start" }),
    }),
  ),
});
export const workflowResumedSchema = z.object({ workflowKey: z.string(), held: z.literal(false) });
export const workflowPauseLogSchema = z.object({ items: z.array(createSelectSchema(workflowHoldLog)) });
export const startPolicySchema = createSelectSchema(workflowStartPolicies).meta({ id: "StartPolicy", description: "An operator's choice of what the paused workflow does with new starts" });

const windowFilterOut = z
  .object({ q: z.string().optional(), input: z.string().optional() })
  .nullable()
  .meta({ description: "Null: the window pauses its whole workflows. Set: it holds only their running and waiting instances (and new starts) that match: `input`, an input search (`field=value, …`); `q`, an instance id prefix" });
export const maintenanceWindowSchema = createSelectSchema(maintenanceWindows, { instanceFilter: windowFilterOut }).meta({
  id: "MaintenanceWindow",
  description: "A planned pause: `nextStartAt`..`nextEndAt` is the occurrence in force (active) or the next one; `cron`, `timezone`, `durationMinutes` are set for a recurring window",
});
export const maintenanceWindowListSchema = z.object({ items: z.array(maintenanceWindowSchema) });
export const maintenanceWindowDetailSchema = maintenanceWindowSchema.extend({
  log: z.array(createSelectSchema(maintenanceWindowLog, { details: jsonObject })),
  held: z.number().int().meta({ description: "How many instances the window holds paused now (draining or not)" }),
});

export const historyPageSchema = page(historyRowSchema).extend({ prevCursor: z.string().nullable().meta({ description: "Pass as `before` for the page before this one; null on the first page" }) });
export const accessChangesSchema = z.object({ items: z.array(createSelectSchema(accessChanges, { details: jsonObject })) });

const userRow = createSelectSchema(users);
export const meSchema = userRow.pick({ id: true, email: true, name: true, role: true }).extend({ groups: userRow.shape.groups.optional() });
export const userSchema = userRow.pick({ id: true, email: true, name: true, role: true, groups: true, createdAt: true, deactivatedAt: true, deactivationReason: true }).meta({ id: "User" });
export const userListSchema = z.object({ items: z.array(userSchema.extend({ activeTokens: z.number().int() })) });

export const tokenSchema = createSelectSchema(apiTokens)
  .pick({ id: true, userId: true, name: true, hint: true, createdAt: true, lastUsedAt: true, expiresAt: true, revokedAt: true })
  .extend({ status: z.enum(tokenStatuses) })
  .meta({ id: "ApiToken", description: "A token's row: never the token itself" });
export const tokenListSchema = z.object({ items: z.array(tokenSchema) });
export const issuedTokenSchema = tokenSchema.extend({ token: z.string().meta({ description: "The token, shown this once: send it as `Authorization: Bearer <token>`" }) });

export const passwordResetSchema = z.object({ email: z.string(), url: z.url().meta({ description: "The one-time link, valid an hour" }), expiresAt: z.date() });

export const webhookSchema = createSelectSchema(webhookSubscriptions)
  .omit({ secret: true, previousSecret: true })
  .meta({ id: "Webhook", description: "A webhook subscription: never its secret. `eventTypes` empty means every type; `disabledReason` says who or what disabled it" });
export const webhookListSchema = z.object({ items: z.array(webhookSchema) });
export const createdWebhookSchema = webhookSchema.extend({ secret: z.string().meta({ description: "The signing secret (`whsec_…`), shown this once: verify deliveries with it" }) });
const deliveryRow = createSelectSchema(webhookDeliveries).omit({ leaseToken: true });
export const webhookDeliverySchema = deliveryRow.meta({ id: "WebhookDelivery" });
const attemptSchema = createSelectSchema(webhookAttempts).omit({ deliveryId: true }).meta({ id: "WebhookAttempt", description: "One attempt: status code, latency in ms, the response's first 1 KB, or the error" });
export const webhookDeliveryListSchema = z.object({
  items: z.array(deliveryRow.extend({ eventType: z.string(), webhookId: z.string().meta({ description: "The `webhook-id` header of every attempt" }), inFlight: z.boolean(), attemptLog: z.array(attemptSchema) })),
});

export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string().meta({ description: "Safe to show a person" }),
      fields: z.record(z.string(), z.array(z.string())).optional().meta({ description: "For `invalid`: each field's problems, keyed by the field" }),
    }),
  })
  .meta({ id: "Error" });

/**
 * True when a schema's output and the type the code returns are assignable both ways, so a field
 * added to, dropped from or retyped on either side fails the type check.
 */
type Agree<S extends z.ZodType, T> = [z.output<S>] extends [T] ? ([T] extends [z.output<S>] ? true : false) : false;

true satisfies Agree<typeof gateSpecSchema, GateSpec>;
true satisfies Agree<typeof stepSpecSchema, StepSpec>;
true satisfies Agree<typeof instanceSchema, typeof instances.$inferSelect>;
true satisfies Agree<typeof instanceListItemSchema, InstanceListItem>;
true satisfies Agree<typeof instanceCountsSchema, Awaited<ReturnType<typeof countByStatus>>>;
true satisfies Agree<typeof instanceDetailSchema, InstanceDetail>;
true satisfies Agree<typeof gateWithDecisionsSchema, InstanceGate>;
true satisfies Agree<typeof gatePageSchema, Awaited<ReturnType<typeof listGates>>>;
true satisfies Agree<typeof decisionResultSchema, DecisionResult>;
true satisfies Agree<typeof bulkSummarySchema, BulkSummary>;
true satisfies Agree<typeof bulkOperationSchema, BulkOperationView>;
true satisfies Agree<typeof bulkOperationPageSchema, Awaited<ReturnType<typeof listBulkOperations>>>;
true satisfies Agree<typeof bulkTargetPageSchema, Awaited<ReturnType<typeof listBulkTargets>>>;
true satisfies Agree<typeof bulkPreviewSchema, Awaited<ReturnType<typeof countBulkTargets>>>;
true satisfies Agree<typeof workflowListSchema.shape.items.element, Awaited<ReturnType<typeof listDefinitions>>[number] & { hold: typeof workflowHolds.$inferSelect | null }>;
true satisfies Agree<typeof maintenanceWindowSchema, typeof maintenanceWindows.$inferSelect>;
true satisfies Agree<typeof maintenanceWindowDetailSchema, Awaited<ReturnType<typeof windowWithLog>>>;
true satisfies Agree<typeof startPolicySchema, typeof workflowStartPolicies.$inferSelect>;
true satisfies Agree<typeof historyPageSchema, Awaited<ReturnType<typeof listHistory>>>;
true satisfies Agree<typeof meSchema, SessionUser>;
true satisfies Agree<typeof userListSchema.shape.items.element, Awaited<ReturnType<typeof listUsers>>[number]>;
true satisfies Agree<typeof tokenSchema, TokenView>;
true satisfies Agree<typeof webhookSchema, SubscriptionView>;
true satisfies Agree<typeof webhookDeliveryListSchema.shape.items.element, DeliveryView>;
true satisfies Agree<typeof webhookDeliverySchema, Awaited<ReturnType<typeof replayDelivery>>>;
