import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import {
  roles,
  instanceStatuses,
  reasonCategories,
  pauseModes,
  pauseKinds,
  stepRunStatuses,
  stepRunEndReasons,
  resourceStates,
  historyActions,
  accessActions,
  gateModes,
  workflowHoldActions,
  heldStartPolicies,
  windowStates,
  windowLogActions,
  type WindowFilter,
  gateStatuses,
  gateDecisionKinds,
  webhookDeliveryStatuses,
  type StepLogLine,
  bulkActions,
  bulkOperationStates,
  bulkItemStatuses,
  type BulkFilter,
  notificationKinds,
  notificationTransports,
  notificationStatuses,
  personalNotificationKinds,
  type StepSpec,
  type GateForm,
  type GateOption,
} from "../lib/domain";

// The domain's constants and types live in lib/domain.ts (no Drizzle there, so client components
// can import them). Re-exported so that server code keeps importing them beside the tables.
export * from "../lib/domain";

export const userRole = pgEnum("user_role", roles);

export const instanceStatus = pgEnum("instance_status", instanceStatuses);

export const reasonCategory = pgEnum("reason_category", reasonCategories);

export const pauseMode = pgEnum("pause_mode", pauseModes);

export const pauseKind = pgEnum("pause_kind", pauseKinds);

export const stepRunStatus = pgEnum("step_run_status", stepRunStatuses);

export const stepRunEndReason = pgEnum("step_run_end_reason", stepRunEndReasons);

export const resourceState = pgEnum("resource_state", resourceStates);

export const historyAction = pgEnum("history_action", historyActions);

export const users = pgTable("users", {
  id: uuid().primaryKey().defaultRandom(),
  email: text().notNull().unique(),
  name: text().notNull(),
  role: userRole().notNull(),
  /** Teams a gate can name ("release-managers"), besides roles and individual emails. */
  groups: text().array().notNull().default(sql`'{}'::text[]`),
  passwordHash: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  /** Set while the account is deactivated: no sign-in, no session, no API token works (lib/users/deactivate.ts). */
  deactivatedAt: timestamp({ withTimezone: true }),
  deactivationReason: text(),
});

/** Sessions store only a SHA-256 of the cookie token, so a database leak yields no usable session. */
export const sessions = pgTable(
  "sessions",
  {
    tokenHash: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.userId)],
);

/**
 * Wrong passwords, one row each, for the sign-in lockout. In the database rather than in memory so
 * that every dashboard process counts the same attempts (and a restart does not reset them).
 */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    email: text().notNull(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("sign_in_failures_email_at_idx").on(t.email, t.at)],
);

/**
 * Who changed whose access, and how: created a user, changed a role or groups, issued an API
 * token. Append-only like history (triggers refuse UPDATE, DELETE and TRUNCATE), and written in the
 * same transaction as the change it records.
 */
export const accessChanges = pgTable(
  "access_changes",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    subjectId: uuid()
      .notNull()
      .references(() => users.id),
    subjectEmail: text().notNull(),
    action: text({ enum: accessActions }).notNull(),
    actorId: uuid(),
    actorLabel: text().notNull(),
    /** `{ from, to }` for a change, `{ role }` for a new user, `{ token }` (its name) for a token. */
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index("access_changes_time_idx").on(t.createdAt.desc(), t.id.desc()),
    check("access_changes_action", sql`${t.action} in (${sql.raw(accessActions.map((a) => `'${a}'`).join(", "))})`),
  ],
);

/**
 * API bearer tokens. Only a SHA-256 of the token is stored; `hint` is its first characters, so a
 * person can tell which token a row is without the row being usable. A token works while it is
 * neither revoked nor past `expiresAt` (null: never expires) and its user is not deactivated.
 */
export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    tokenHash: text().notNull().unique(),
    hint: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Refreshed at most once a minute (lib/auth/sessions.ts), so authenticating is mostly a read. */
    lastUsedAt: timestamp({ withTimezone: true }),
    expiresAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index("api_tokens_user_idx").on(t.userId)],
);

/**
 * One-time password-reset links an admin issues (there is no mail yet). Only a SHA-256 of the
 * link's token is stored; a link works once, before `expiresAt`, and issuing a new one for the
 * same user deletes the older ones.
 */
export const passwordResets = pgTable(
  "password_resets",
  {
    tokenHash: text().primaryKey(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.userId)],
);

export const gateMode = pgEnum("gate_mode", gateModes);

export const workflowDefinitions = pgTable(
  "workflow_definitions",
  {
    id: uuid().primaryKey().defaultRandom(),
    key: text().notNull(),
    version: integer().notNull(),
    name: text().notNull(),
    description: text().notNull().default(""),
    steps: jsonb().$type<StepSpec[]>().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex().on(t.key, t.version)],
);

/**
 * A workflow held by an operator: no new instance of it starts (any version) until it is
 * released. Running instances are not touched; pause those one by one or in bulk. One row per
 * held workflow; releasing deletes it. Every hold and release is also in workflowHoldLog.
 */
export const workflowHolds = pgTable(
  "workflow_holds",
  {
    workflowKey: text().primaryKey(),
    reason: text().notNull(),
    heldById: uuid().references(() => users.id),
    heldByLabel: text().notNull(),
    heldAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [check("workflow_hold_reason_length", sql`char_length(${t.reason}) between 1 and 500`)],
);

/** Who held or released which workflow, when and why. Append-only, like history. */
export const workflowHoldLog = pgTable(
  "workflow_hold_log",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    workflowKey: text().notNull(),
    action: text({ enum: workflowHoldActions }).notNull(),
    reason: text(),
    actorId: uuid(),
    actorLabel: text().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index("workflow_hold_log_key_time_idx").on(t.workflowKey, t.createdAt.desc(), t.id.desc()),
    check("workflow_hold_log_action", sql`${t.action} in ('held', 'released', 'policy_changed')`),
  ],
);
export type WorkflowHold = typeof workflowHolds.$inferSelect;

/**
 * An operator's choice of what a paused workflow does with new starts (heldStartPolicies),
 * overriding the SDK definition's `whenPaused` default. One row per workflow key; every change
 * is also a `policy_changed` row of workflowHoldLog.
 */
export const workflowStartPolicies = pgTable(
  "workflow_start_policies",
  {
    workflowKey: text().primaryKey(),
    policy: text({ enum: heldStartPolicies }).notNull(),
    /** How long a queued start waits before it is dropped, in seconds; null: until the pause ends. */
    queueTtlSeconds: integer(),
    setById: uuid().references(() => users.id),
    setByLabel: text().notNull(),
    setAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    check("workflow_start_policy", sql`${t.policy} in ('refuse', 'queue')`),
    check("workflow_start_policy_ttl", sql`${t.queueTtlSeconds} is null or ${t.queueTtlSeconds} between 1 and 31536000`),
  ],
);
export type WorkflowStartPolicy = typeof workflowStartPolicies.$inferSelect;

/**
 * A planned pause of one or more workflows between two times, once (`startsAt`..`endsAt`) or
 * recurring (`cron` in `timezone`, lasting `durationMinutes`). `nextStartAt`/`nextEndAt` are the
 * occurrence in force: the active one, or the next one; the worker advances them when an
 * occurrence ends or is skipped (lib/maintenance/windows.ts).
 */
export const maintenanceWindows = pgTable(
  "maintenance_windows",
  {
    id: uuid().primaryKey().defaultRandom(),
    title: text().notNull(),
    workflowKeys: text().array().notNull(),
    /**
     * Null: the window holds its workflows whole (paused, new starts by their policy). Set: it
     * holds only the running and waiting instances of those workflows that match (and new starts
     * that match), leaving the workflows and every other instance running (window-filter.ts).
     */
    instanceFilter: jsonb().$type<WindowFilter>(),
    reason: text().notNull(),
    category: reasonCategory().notNull().default("maintenance"),
    cron: text(),
    timezone: text(),
    durationMinutes: integer(),
    nextStartAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    nextEndAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    state: text({ enum: windowStates }).notNull().default("scheduled"),
    /** When the occurrence in force started; null unless active. */
    activeSince: timestamp({ withTimezone: true, precision: 3 }),
    createdById: uuid().references(() => users.id),
    createdByLabel: text().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** Bumped by every change; an edit from a stale form is refused. */
    version: integer().notNull().default(1),
    cancelledAt: timestamp({ withTimezone: true, precision: 3 }),
    cancelledByLabel: text(),
    cancelReason: text(),
  },
  (t) => [
    index("maintenance_windows_due_idx").on(t.state, t.nextStartAt),
    check("maintenance_window_state", sql`${t.state} in ('scheduled', 'active', 'done', 'cancelled')`),
    check("maintenance_window_times", sql`${t.nextEndAt} > ${t.nextStartAt}`),
    check("maintenance_window_reason_length", sql`char_length(${t.reason}) between 1 and 500`),
    check("maintenance_window_workflows", sql`cardinality(${t.workflowKeys}) between 1 and 50`),
    check("maintenance_window_instance_filter", sql`${t.instanceFilter} is null or (jsonb_typeof(${t.instanceFilter}) = 'object' and (${t.instanceFilter} ? 'q' or ${t.instanceFilter} ? 'input'))`),
    check("maintenance_window_recurrence", sql`(${t.cron} is null) = (${t.durationMinutes} is null) and (${t.cron} is null) = (${t.timezone} is null)`),
  ],
);
export type MaintenanceWindow = typeof maintenanceWindows.$inferSelect;

/** Every change to a maintenance window and every start, end and skip of one. Append-only. */
export const maintenanceWindowLog = pgTable(
  "maintenance_window_log",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    windowId: uuid()
      .notNull()
      .references(() => maintenanceWindows.id),
    action: text({ enum: windowLogActions }).notNull(),
    reason: text(),
    actorId: uuid(),
    actorLabel: text().notNull(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index("maintenance_window_log_window_idx").on(t.windowId, t.id)],
);
export type MaintenanceWindowLogEntry = typeof maintenanceWindowLog.$inferSelect;

export const instances = pgTable(
  "instances",
  {
    id: uuid().primaryKey().defaultRandom(),
    definitionId: uuid()
      .notNull()
      .references(() => workflowDefinitions.id),
    workflowKey: text().notNull(),
    status: instanceStatus().notNull().default("pending"),
    currentSteps: text().array().notNull().default(sql`'{}'::text[]`),
    input: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    context: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    startedById: uuid().references(() => users.id),
    startedByLabel: text().notNull(),
    /** Optimistic-concurrency counter: every committed change bumps it. */
    version: integer().notNull().default(1),
    pausedAt: timestamp({ withTimezone: true }),
    pausedById: uuid().references(() => users.id),
    pausedByLabel: text(),
    pauseReason: text(),
    pauseCategory: reasonCategory(),
    pauseTicketUrl: text(),
    pauseMode: pauseMode(),
    pauseKind: pauseKind(),
    resumeAt: timestamp({ withTimezone: true }),
    /** When the instance times out; every resume pushes it back by the time spent paused. */
    dueAt: timestamp({ withTimezone: true }),
    /** Where resume returns to: a paused instance may also be waiting at a gate. */
    pausedFromStatus: instanceStatus(),
    /** Lifecycle-hook bookkeeping of the engine; see resourceStates. */
    resources: resourceState().notNull().default("held"),
    /** A worker running onPause/onResume holds this lease; an expired one lets another worker retry. */
    hookLeaseExpiresAt: timestamp({ withTimezone: true }),
    hookWorkerId: text(),
    error: text(),
    /** Set on a start accepted while its workflow was paused (policy `queue`): it waits `pending`. */
    queuedAt: timestamp({ withTimezone: true, precision: 3 }),
    /** A queued start still pending past this is dropped (cancelled, with the reason recorded). */
    queueExpiresAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Millisecond precision, so the keyset cursor round-trips through a JS Date exactly.
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index("instances_status_updated_idx").on(t.status, t.updatedAt.desc(), t.id.desc()),
    index("instances_updated_idx").on(t.updatedAt.desc(), t.id.desc()),
    // One index per list sort, with and without a status (lib/instances/list-filter-where.ts
    // `instanceOrders`; test/integration/list-plans.test.ts asks the planner for each).
    index("instances_workflow_idx").on(t.workflowKey, t.updatedAt.desc(), t.id.desc()),
    index("instances_status_workflow_idx").on(t.status, t.workflowKey, t.updatedAt.desc(), t.id.desc()),
    index("instances_created_idx").on(t.createdAt.desc(), t.id.desc()),
    index("instances_status_created_idx").on(t.status, t.createdAt.desc(), t.id.desc()),
    // Search by input fields: `input @> '{"customer":"acme"}'`; jsonb_path_ops is smaller and
    // faster than the default opclass for containment, the only operator the list uses.
    index("instances_input_idx").using("gin", t.input.op("jsonb_path_ops")),
    index("instances_due_idx").on(t.dueAt).where(sql`${t.dueAt} is not null and ${t.status} in ('running', 'waiting')`),
    check("pause_reason_length", sql`char_length(${t.pauseReason}) <= 500`),
    index("instances_queued_idx").on(t.workflowKey, t.queuedAt, t.id).where(sql`${t.status} = 'pending' and ${t.queuedAt} is not null`),
    // The workflows page's counts per definition and status, each cut off at COUNT_CAP + 1
    // (lib/workflows/queries.ts listDefinitions): one short index-only range per pair.
    index("instances_definition_status_idx").on(t.definitionId, t.status),
  ],
);

export const stepRuns = pgTable(
  "step_runs",
  {
    id: uuid().primaryKey().defaultRandom(),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    stepKey: text().notNull(),
    attempt: integer().notNull().default(1),
    status: stepRunStatus().notNull().default("pending"),
    availableAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    workerId: text(),
    leaseExpiresAt: timestamp({ withTimezone: true }),
    heartbeatAt: timestamp({ withTimezone: true }),
    startedAt: timestamp({ withTimezone: true }),
    finishedAt: timestamp({ withTimezone: true }),
    output: jsonb(),
    error: text(),
    endReason: stepRunEndReason(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("step_runs_instance_idx").on(t.instanceId, t.createdAt),
    index("step_runs_claimable_idx")
      .on(t.availableAt)
      .where(sql`${t.status} = 'pending'`),
    // At most one live run and one completed run per step: a scheduling bug becomes a constraint
    // violation (and a rolled-back transaction) instead of a step that runs twice.
    uniqueIndex("step_runs_live_once_idx")
      .on(t.instanceId, t.stepKey)
      .where(sql`${t.status} in ('pending', 'running')`),
    uniqueIndex("step_runs_completed_once_idx")
      .on(t.instanceId, t.stepKey)
      .where(sql`${t.status} = 'completed'`),
    index("step_runs_lease_idx")
      .on(t.leaseExpiresAt)
      .where(sql`${t.status} = 'running'`),
  ],
);

/**
 * What a step run logged through `ctx.log` (info and above, bounded: see StepLogLine), one row per
 * run, written by the worker once the run ended, off the settle path (engine/sql/insert-step-log.ts).
 * Diagnostics for the instance page, not evidence: history is the audit trail.
 */
export const stepRunLogs = pgTable(
  "step_run_logs",
  {
    runId: uuid()
      .primaryKey()
      .references(() => stepRuns.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    lines: jsonb().$type<StepLogLine[]>().notNull(),
    /** Older lines dropped to keep the newest STEP_LOG_MAX_LINES. */
    dropped: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("step_run_logs_instance_idx").on(t.instanceId)],
);
export type StepRunLog = typeof stepRunLogs.$inferSelect;

/**
 * Append-only: a trigger refuses UPDATE and DELETE. Each row hashes its predecessor
 * within the same instance, so the chain rides on the instance row lock the command
 * already holds instead of serialising every write in the system behind one global head.
 */
export const history = pgTable(
  "history",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id),
    seq: integer().notNull(),
    action: historyAction().notNull(),
    actorId: uuid(),
    actorLabel: text().notNull(),
    reason: text(),
    fromStatus: instanceStatus(),
    toStatus: instanceStatus(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    workflowKey: text().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    prevHash: text(),
    hash: text().notNull(),
  },
  (t) => [
    uniqueIndex("history_instance_seq_idx").on(t.instanceId, t.seq),
    index("history_created_idx").on(t.createdAt.desc(), t.id.desc()),
    // Every filter's index ends in (created_at desc, id desc), the order the log is read in,
    // so a filtered page is an index range scan however old the rows it lands on.
    index("history_action_time_idx").on(t.action, t.createdAt.desc(), t.id.desc()),
    index("history_workflow_time_idx").on(t.workflowKey, t.createdAt.desc(), t.id.desc()),
    index("history_category_time_idx").on(sql`(${t.details}->>'category')`, t.createdAt.desc(), t.id.desc()),
  ],
);

/** Transactional outbox: written with the change it announces, read by whoever subscribes. */
export const events = pgTable(
  "events",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    type: text().notNull(),
    version: text().notNull().default("1.0.0"),
    instanceId: uuid(),
    payload: jsonb().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Handed to webhooks (lib/webhooks/fan-out.ts). */
    publishedAt: timestamp({ withTimezone: true }),
    /** Turned into notifications (lib/notifications/fan-out.ts): a marker of its own, so neither fan-out waits for the other. */
    notifiedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index("events_unpublished_idx").on(t.id).where(sql`${t.publishedAt} is null`),
    index("events_unnotified_idx").on(t.id).where(sql`${t.notifiedAt} is null`),
  ],
);

export const gateStatus = pgEnum("gate_status", gateStatuses);

export const gateDecisionKind = pgEnum("gate_decision_kind", gateDecisionKinds);

export const gates = pgTable(
  "gates",
  {
    id: uuid().primaryKey().defaultRandom(),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id),
    stepKey: text().notNull(),
    stage: text().notNull(),
    instructions: text().notNull().default(""),
    mode: gateMode().notNull(),
    /** Distinct approvals needed (for `all` and `per_role`, fixed when the gate is requested). */
    required: integer().notNull(),
    approverRole: userRole(),
    approvers: text().array().notNull().default(sql`'{}'::text[]`),
    groups: text().array().notNull().default(sql`'{}'::text[]`),
    roles: userRole().array().notNull().default(sql`'{}'::user_role[]`),
    status: gateStatus().notNull().default("pending"),
    requestedById: uuid().references(() => users.id),
    requestedByLabel: text().notNull(),
    requestedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }),
    /** `step`: an expiry goes to `expiryStep`, as if that branch had been chosen. */
    onExpiry: text().$type<"fail" | "continue" | "step">().notNull().default("fail"),
    expiryStep: text(),
    /** For mode `percent`: the share of eligible approvers needed, 1–100 (required is recomputed at each decision). */
    percent: integer(),
    /** The form the approver fills when approving (JSON Schema of GateFormFields), or null. */
    form: jsonb().$type<GateForm>(),
    /** Named choices besides reject, each leading to a next step; empty for a plain approve. */
    options: jsonb().$type<GateOption[]>().notNull().default([]),
    /** The option that settled the gate (or the expiry's branch step's option), if any. */
    chosenOption: text(),
    /** The form values of the decision that completed the quorum: what the gated step sees as `ctx.gate.values`. */
    values: jsonb().$type<Record<string, unknown>>(),
    escalateAt: timestamp({ withTimezone: true }),
    escalateTo: text().array().notNull().default(sql`'{}'::text[]`),
    escalatedAt: timestamp({ withTimezone: true }),
    decidedAt: timestamp({ withTimezone: true }),
    /** GateSpec.notifyEveryMs: remind the people who may still decide this often while pending. */
    notifyEveryMs: integer(),
    /** When the next reminder is due; a clock of the instance, moved on resume like expiresAt (lib/instances/clocks.ts). */
    nextReminderAt: timestamp({ withTimezone: true }),
    remindersSent: integer().notNull().default(0),
    /** When the "about to expire" notice went out; it goes once. */
    expiryWarnedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex("gates_instance_step_idx").on(t.instanceId, t.stepKey),
    index("gates_status_requested_idx").on(t.status, t.requestedAt, t.id),
    index("gates_expiry_idx").on(t.expiresAt).where(sql`${t.status} = 'pending'`),
    index("gates_reminder_idx").on(t.nextReminderAt).where(sql`${t.status} = 'pending'`),
  ],
);

export const gateDecisions = pgTable(
  "gate_decisions",
  {
    id: uuid().primaryKey().defaultRandom(),
    gateId: uuid()
      .notNull()
      .references(() => gates.id),
    userId: uuid()
      .notNull()
      .references(() => users.id),
    userLabel: text().notNull(),
    userRole: userRole().notNull(),
    decision: gateDecisionKind().notNull(),
    /** The option this approval chose (gates with options), else null. */
    option: text(),
    /** The gate form's values as this approver filled them (validated, defaults applied), else null. */
    values: jsonb().$type<Record<string, unknown>>(),
    comment: text(),
    category: reasonCategory(),
    ticketUrl: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  // One decision per approver per gate, enforced by the database as well as the use case.
  (t) => [uniqueIndex("gate_decisions_once_idx").on(t.gateId, t.userId)],
);

export const gateDelegations = pgTable(
  "gate_delegations",
  {
    id: uuid().primaryKey().defaultRandom(),
    gateId: uuid()
      .notNull()
      .references(() => gates.id),
    fromUserId: uuid()
      .notNull()
      .references(() => users.id),
    fromLabel: text().notNull(),
    toUserId: uuid()
      .notNull()
      .references(() => users.id),
    toLabel: text().notNull(),
    reason: text().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("gate_delegations_once_idx").on(t.gateId, t.fromUserId)],
);

/**
 * A verification of the history hash chains. Each seals the chain heads it saw into one hash
 * and records how many rows existed up to `throughId`, so a later run also notices rows
 * deleted from the end of a chain (which a hash chain alone cannot see).
 */
export const auditCheckpoints = pgTable("audit_checkpoints", {
  id: bigserial({ mode: "number" }).primaryKey(),
  verifiedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  throughId: integer().notNull(),
  rows: integer().notNull(),
  chains: integer().notNull(),
  headsHash: text().notNull(),
  ok: text().$type<"ok" | "broken">().notNull(),
  brokenHistoryId: integer(),
  problem: text(),
  durationMs: integer().notNull(),
});

export type AuditCheckpoint = typeof auditCheckpoints.$inferSelect;
export type Gate = typeof gates.$inferSelect;
export type GateDecision = typeof gateDecisions.$inferSelect;
export type GateDelegation = typeof gateDelegations.$inferSelect;
export type User = typeof users.$inferSelect;
export type Instance = typeof instances.$inferSelect;
export type StepRun = typeof stepRuns.$inferSelect;
export type HistoryRow = typeof history.$inferSelect;
export type WorkflowDefinition = typeof workflowDefinitions.$inferSelect;

/**
 * Webhook subscriptions, managed by admins (lib/webhooks/subscriptions.ts). The secret is kept as
 * is, unlike tokens: it signs every delivery, so it cannot be a hash; it is shown once at creation
 * and never answered again.
 */
export const webhookSubscriptions = pgTable("webhook_subscriptions", {
  id: uuid().primaryKey().defaultRandom(),
  url: text().notNull(),
  description: text().notNull().default(""),
  /** Outbox event types to deliver (lib/domain.ts `eventTypes`); empty means every type. */
  eventTypes: text().array().notNull().default(sql`'{}'::text[]`),
  /** `whsec_` and base64 of 32 random bytes: the Standard Webhooks signing key. */
  secret: text().notNull(),
  /** The secret before the last rotation: deliveries carry its signature too until previousSecretExpiresAt, so receivers can switch over. */
  previousSecret: text(),
  previousSecretExpiresAt: timestamp({ withTimezone: true }),
  active: boolean().notNull().default(true),
  /** Failed attempts in a row across its deliveries; a success resets it, a run of them disables the subscription. */
  consecutiveFailures: integer().notNull().default(0),
  disabledAt: timestamp({ withTimezone: true }),
  /** Why it is disabled: the admin who did it, or the failure run and its last error. */
  disabledReason: text(),
  createdById: uuid().references(() => users.id, { onDelete: "set null" }),
  /** Full precision, like events.created_at: the fan-out delivers the events created from this instant on. */
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/**
 * One event for one subscription, made by the fan-out (lib/webhooks/fan-out.ts) and sent until a
 * 2xx or its last attempt. Its webhook-id is the event's, so every attempt and replay carries the
 * same one. While an attempt is in flight `leaseToken` names it and `nextAttemptAt` is when its
 * lease runs out: a worker that dies mid-send leaves it due again, never lost.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid().primaryKey().defaultRandom(),
    subscriptionId: uuid()
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    eventId: bigint({ mode: "number" })
      .notNull()
      .references(() => events.id),
    status: text({ enum: webhookDeliveryStatuses }).notNull().default("pending"),
    /** Attempts claimed so far, replays included. */
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    leaseToken: uuid(),
    /** An admin asked for this delivery again; the next attempt is recorded as a replay. */
    replayRequested: boolean().notNull().default(false),
    lastStatusCode: integer(),
    lastError: text(),
    deliveredAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_once_idx").on(t.subscriptionId, t.eventId),
    // The claim walks each active subscription's due deliveries (a lateral join): per subscription, oldest due first.
    index("webhook_deliveries_due_idx").on(t.subscriptionId, t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index("webhook_deliveries_recent_idx").on(t.subscriptionId, t.createdAt.desc()),
    check("webhook_deliveries_status", sql`${t.status} in (${sql.raw(webhookDeliveryStatuses.map((a) => `'${a}'`).join(", "))})`),
  ],
);

/** Every attempt of a delivery, the delivery log admins browse: what the receiver answered, or why nothing came. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    deliveryId: uuid()
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    /** 1 for the first attempt; counts on through retries and replays. */
    attempt: integer().notNull(),
    replay: boolean().notNull().default(false),
    ok: boolean().notNull(),
    statusCode: integer(),
    /** From sending to the end of the excerpt read, in milliseconds. */
    latencyMs: integer().notNull(),
    /** The response body's first 1 KB (UTF-8, made storable). */
    responseExcerpt: text(),
    /** Why the attempt failed: a timeout, a refused connection, a non-2xx status. */
    error: text(),
    startedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.id)],
);

/**
 * A named instance-list filter and sort (lib/instances/saved-views.ts): its owner's alone, or
 * shared with everyone who reads instances. `filter` holds what `instanceListFilter` parsed
 * (lib/instances/list-filter.ts) and is parsed again when read, so a view saved before a filter
 * rule changed cannot smuggle in what the boundary refuses today. A preference, not evidence:
 * its changes are not instance history.
 */
export const savedViews = pgTable(
  "saved_views",
  {
    id: uuid().primaryKey().defaultRandom(),
    ownerId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    shared: boolean().notNull().default(false),
    filter: jsonb().$type<Record<string, unknown>>().notNull(),
    /** Optimistic-concurrency counter, as on instances: a rename names the version it saw. */
    version: integer().notNull().default(1),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One name per owner, whatever its case: "Paused EU" and "paused eu" would read as the same view.
    uniqueIndex("saved_views_owner_name_idx").on(t.ownerId, sql`lower(${t.name})`),
    index("saved_views_shared_idx").on(t.createdAt).where(sql`${t.shared}`),
    check("saved_views_name_length", sql`char_length(${t.name}) between 1 and 60`),
  ],
);
export type SavedView = typeof savedViews.$inferSelect;

/**
 * One pause or resume of every instance a filter matched (issue 14 §3), run by the worker
 * (engine/bulk-loop.ts, lib/bulk-operations/run.ts). Its targets are fixed when it is created
 * (bulk_operation_items); each is paused or resumed in its own transaction, which also marks the
 * target done, so a worker that dies mid-way leaves the rest pending and the next lease holder
 * carries on. `leaseOwner`/`leaseExpiresAt` name the worker running it now.
 */
export const bulkOperations = pgTable(
  "bulk_operations",
  {
    id: uuid().primaryKey().defaultRandom(),
    action: text({ enum: bulkActions }).notNull(),
    /** The filter as given (BulkFilter), narrowed to the statuses the action applies to. */
    filter: jsonb().$type<BulkFilter>().notNull(),
    state: text({ enum: bulkOperationStates }).notNull().default("running"),
    reason: text(),
    /** A pause's mode; null for a resume. */
    mode: pauseMode(),
    /** A resume that skips each instance's resume condition (needs a reason). */
    force: boolean().notNull().default(false),
    category: reasonCategory(),
    ticketUrl: text(),
    /** Targets when it was created; fixed. */
    matched: integer().notNull(),
    /** Resumes per second (pacing); null for a pause. */
    ratePerSecond: integer(),
    actorId: uuid().references(() => users.id, { onDelete: "set null" }),
    actorLabel: text().notNull(),
    leaseOwner: text(),
    leaseExpiresAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true, precision: 3 }),
    cancelledByLabel: text(),
    cancelReason: text(),
  },
  (t) => [
    index("bulk_operations_recent_idx").on(t.createdAt.desc(), t.id.desc()),
    index("bulk_operations_running_idx").on(t.leaseExpiresAt).where(sql`${t.state} = 'running'`),
    check("bulk_operations_action", sql`${t.action} in (${sql.raw(bulkActions.map((a) => `'${a}'`).join(", "))})`),
    check("bulk_operations_state", sql`${t.state} in (${sql.raw(bulkOperationStates.map((a) => `'${a}'`).join(", "))})`),
  ],
);

/** One target of a bulk operation and what happened to it; `seq` is the order they are worked through. */
export const bulkOperationItems = pgTable(
  "bulk_operation_items",
  {
    operationId: uuid()
      .notNull()
      .references(() => bulkOperations.id, { onDelete: "cascade" }),
    instanceId: uuid()
      .notNull()
      .references(() => instances.id, { onDelete: "cascade" }),
    seq: integer().notNull(),
    status: text({ enum: bulkItemStatuses }).notNull().default("pending"),
    /** A refusal's error code (conflict, not_found, …) and message for a person. */
    code: text(),
    message: text(),
    doneAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    primaryKey({ columns: [t.operationId, t.instanceId] }),
    index("bulk_operation_items_next_idx").on(t.operationId, t.seq).where(sql`${t.status} = 'pending'`),
    index("bulk_operation_items_status_idx").on(t.operationId, t.status),
    check("bulk_operation_items_status", sql`${t.status} in (${sql.raw(bulkItemStatuses.map((a) => `'${a}'`).join(", "))})`),
  ],
);
export type BulkOperation = typeof bulkOperations.$inferSelect;
export type BulkOperationItem = typeof bulkOperationItems.$inferSelect;

/**
 * What a person wants to be told (their account page). No row: the defaults, mail on, chat off,
 * every kind. `chatWebhookUrl` is a Slack-compatible incoming webhook of their own (a DM or a channel).
 */
export const notificationPreferences = pgTable("notification_preferences", {
  userId: uuid()
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  email: boolean().notNull().default(true),
  chat: boolean().notNull().default(false),
  chatWebhookUrl: text(),
  /** Which of personalNotificationKinds to receive. */
  kinds: text().array().notNull().default(sql.raw(`'{${personalNotificationKinds.join(",")}}'::text[]`)),
  updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** Admin-configured chat channels (Slack-compatible incoming webhooks) and the kinds each receives. */
export const notificationChannels = pgTable("notification_channels", {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  url: text().notNull(),
  kinds: text().array().notNull().default(sql`'{}'::text[]`),
  active: boolean().notNull().default(true),
  createdById: uuid().references(() => users.id, { onDelete: "set null" }),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/**
 * One message to one person or channel by one transport, rendered when it was decided on and sent
 * by the worker until it goes through or its last attempt (lib/notifications/delivery.ts), like a
 * webhook delivery. `dedupeKey` makes deciding it idempotent (a fan-out or sweep run twice sends once).
 */
export const notifications = pgTable(
  "notifications",
  {
    id: uuid().primaryKey().defaultRandom(),
    dedupeKey: text().notNull(),
    kind: text({ enum: notificationKinds }).notNull(),
    transport: text({ enum: notificationTransports }).notNull(),
    userId: uuid().references(() => users.id, { onDelete: "cascade" }),
    channelId: uuid().references(() => notificationChannels.id, { onDelete: "cascade" }),
    /** An email address or a webhook URL. */
    target: text().notNull(),
    gateId: uuid().references(() => gates.id),
    instanceId: uuid().references(() => instances.id),
    eventId: bigint({ mode: "number" }).references(() => events.id),
    subject: text().notNull(),
    /** `{ text, html, chat }`: the mail's two bodies and the chat message (Block Kit). */
    message: jsonb().$type<{ text: string; html: string; chat: Record<string, unknown> }>().notNull(),
    status: text({ enum: notificationStatuses }).notNull().default("pending"),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    leaseToken: uuid(),
    lastError: text(),
    sentAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("notifications_dedupe_idx").on(t.dedupeKey),
    index("notifications_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index("notifications_recent_idx").on(t.createdAt.desc(), t.id.desc()),
    check("notifications_kind", sql`${t.kind} in (${sql.raw(notificationKinds.map((a) => `'${a}'`).join(", "))})`),
    check("notifications_transport", sql`${t.transport} in (${sql.raw(notificationTransports.map((a) => `'${a}'`).join(", "))})`),
    check("notifications_status", sql`${t.status} in (${sql.raw(notificationStatuses.map((a) => `'${a}'`).join(", "))})`),
  ],
);

/** Every attempt to send a notification: what the mail server or chat endpoint answered, or why nothing came. */
export const notificationAttempts = pgTable(
  "notification_attempts",
  {
    id: bigserial({ mode: "number" }).primaryKey(),
    notificationId: uuid()
      .notNull()
      .references(() => notifications.id, { onDelete: "cascade" }),
    attempt: integer().notNull(),
    ok: boolean().notNull(),
    /** The SMTP server's reply, or the HTTP status and the body's first 1 KB. */
    response: text(),
    error: text(),
    latencyMs: integer().notNull(),
    startedAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("notification_attempts_notification_idx").on(t.notificationId, t.id)],
);
export type Notification = typeof notifications.$inferSelect;
export type NotificationChannel = typeof notificationChannels.$inferSelect;
export type NotificationPreferences = typeof notificationPreferences.$inferSelect;
