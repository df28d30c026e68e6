/**
 * The domain's vocabulary: the status, action and category lists (as const, so each is a type and
 * a runtime list), the gate and step specs, the actor. No Drizzle and no other import, so client
 * components can use them without pulling the database driver into a browser bundle; db/schema.ts
 * builds its enums from these lists and re-exports them beside the tables.
 */

export const roles = ["operator", "approver", "auditor", "admin"] as const;
export type Role = (typeof roles)[number];

export const instanceStatuses = [
  "pending",
  "running",
  "waiting",
  "paused",
  "completed",
  "failed",
  "cancelled",
  "timed_out",
] as const;
export type InstanceStatus = (typeof instanceStatuses)[number];

/** Why, in one word, beside the free-text reason: filterable, and the same list everywhere. */
export const reasonCategories = ["maintenance", "incident", "approval", "dependency", "cost", "other"] as const;
export type ReasonCategory = (typeof reasonCategories)[number];

export const pauseModes = ["graceful", "immediate"] as const;
export type PauseMode = (typeof pauseModes)[number];

/** Why an instance is paused: a person, a step of its own, a pauseBefore checkpoint, or a schedule. */
export const pauseKinds = ["manual", "programmatic", "checkpoint", "scheduled"] as const;
export type PauseKind = (typeof pauseKinds)[number];

export const stepRunStatuses = [
  "pending",
  "running",
  "completed",
  "failed",
  "interrupted",
  "cancelled",
  /** Never run: a gate's decision chose another branch (see GateSpec.options). */
  "skipped",
] as const;
export type StepRunStatus = (typeof stepRunStatuses)[number];

/**
 * Why the engine ended a run that did not end by its own result (null otherwise: completed or
 * failed by the step, or ended by a command). `lease_expired`: its worker stopped heartbeating
 * (died or stalled), counted towards a poison step; `worker_shutdown`: handed back by a worker
 * shutting down, not counted. A column, not the error text: a step's own error may say anything.
 */
/**
 * One line a step logged through `ctx.log` (info and above), as the instance page shows it. The
 * worker keeps the last STEP_LOG_MAX_LINES of a run, each message cut to STEP_LOG_MAX_CHARS and
 * its structured fields (`fields`, JSON text) to STEP_LOG_MAX_FIELDS characters.
 */
export type StepLogLine = { at: string; level: "info" | "warn" | "error" | "fatal"; msg: string; fields?: string };
export const STEP_LOG_MAX_LINES = 100;
export const STEP_LOG_MAX_CHARS = 1000;
export const STEP_LOG_MAX_FIELDS = 1000;

export const stepRunEndReasons = ["lease_expired", "worker_shutdown"] as const;
export type StepRunEndReason = (typeof stepRunEndReasons)[number];

/**
 * What a workflow's onPause/onResume hooks have done to the resources an instance holds.
 * `held`: steps may run. `releasing`: a worker runs onPause (under a hook lease). `released`:
 * onPause ran; the instance must not run a step until onResume has. `reacquiring`: onResume is
 * due or running. The claim only takes steps of `held` instances, so "onResume before the next
 * step" is enforced by the database, not by whichever worker happens to notice the resume.
 */
export const resourceStates = ["held", "releasing", "released", "reacquiring"] as const;
export type ResourceState = (typeof resourceStates)[number];

export const historyActions = [
  "started",
  // Accepted while its workflow was paused under the `queue` policy: pending until the pause ends.
  "queued",
  "paused",
  "resumed",
  "force_resumed",
  // An operator sent a failed instance back to running from its failed step(s) (retryInstance).
  "retried",
  "step_started",
  "step_completed",
  "step_failed",
  "step_interrupted",
  "waiting",
  "gate_requested",
  "gate_approved",
  "gate_rejected",
  "gate_expired",
  "gate_delegated",
  "gate_escalated",
  "gate_withdrawn",
  "steps_skipped",
  "hook_ran",
  "hook_failed",
  "completed",
  "failed",
  "cancelled",
  "timed_out",
] as const;
export type HistoryAction = (typeof historyActions)[number];

export const accessActions = [
  "user_created",
  "role_changed",
  "groups_changed",
  "token_issued",
  "token_revoked",
  "user_deactivated",
  "user_reactivated",
  "password_reset_issued",
  "password_reset",
] as const;
export type AccessAction = (typeof accessActions)[number];

export const gateModes = ["any", "n_of_m", "all", "per_role", "percent"] as const;
export type GateMode = (typeof gateModes)[number];

/**
 * One field of a gate's form, as JSON Schema (what `z.toJSONSchema` makes of a zod field): a
 * choice (`string` with `enum`), text (`string`), a number (`number`, `integer`) or a yes/no
 * (`boolean`), each with an optional `default`, `description` and `title`.
 */
export type GateFormField = {
  type: "string" | "number" | "integer" | "boolean";
  enum?: string[];
  default?: string | number | boolean;
  title?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
};

/** A gate's form as stored with its definition and gate: the JSON Schema of a zod object of GateFormFields. */
export type GateForm = {
  type: "object";
  properties: Record<string, GateFormField>;
  required?: string[];
  /** The fields in the order the author wrote them: jsonb keeps an object's keys in its own order, not the author's. */
  order?: string[];
};

/** A form's fields in the author's order (GateForm.order), each with its key. */
export const formFields = (form: GateForm): [string, GateFormField][] =>
  (form.order ?? Object.keys(form.properties)).flatMap((key) => (form.properties[key] ? [[key, form.properties[key]] as [string, GateFormField]] : []));

/**
 * A named choice a gate offers besides reject (HITL branching): choosing it approves the gate and
 * leads, after the gated step, to `next` (a step that depends on the gated step); the other
 * branches' steps are skipped.
 */
export type GateOption = { name: string; label?: string; next: string };

/** What an expiry does: fail the instance (default), continue past the gate, or go to a named step (a branch, as if chosen). */
export type GateExpiry = "fail" | "continue" | { step: string };

/**
 * An approval gate before a step. Who may approve: `approvers` (named emails), else
 * `approverRole`, else any approver; admins always may, but nobody signs their own request.
 * Mode: `any` one approval; `n_of_m` `approvals` distinct approvers; `all` every named
 * approver; `per_role` one approver from each of `roles`; `percent` at least `percent` % of the
 * people eligible to decide it, rounded up (never fewer than one), counted at each decision.
 */
export type GateSpec = {
  stage: string;
  approvals?: number;
  mode?: GateMode;
  /** For `percent`: 1–100. */
  percent?: number;
  approverRole?: Role;
  approvers?: string[];
  /** Any member of these groups may approve (users.groups). */
  groups?: string[];
  roles?: Role[];
  /** Markdown: what to check before approving. */
  instructions?: string;
  /** What the approver fills in when approving; the values reach the gated step as `ctx.gate.values`. */
  form?: GateForm;
  /** Named choices instead of a plain approve; each leads to its own next step. */
  options?: GateOption[];
  expiresAfterMs?: number;
  onExpiry?: GateExpiry;
  escalateAfterMs?: number;
  /** Emails added as approvers when the gate escalates. */
  escalateTo?: string[];
  /**
   * Remind the people who may still decide every this many milliseconds while the gate is pending
   * (like Spinnaker's `notifyEveryMs`); paused time does not count. At least 60 000.
   */
  notifyEveryMs?: number;
};

export type StepSpec = {
  key: string;
  name: string;
  dependsOn: string[];
  pauseBefore?: boolean;
  gate?: GateSpec;
  retries?: number;
  timeoutMs?: number;
};

export type Actor = { id: string | null; label: string };

export const workflowHoldActions = ["held", "released", "policy_changed"] as const;

/**
 * What a paused workflow does with a new start: `refuse` it (409), or `queue` it (stored
 * `pending`, started in order when the pause ends, or dropped past its time-to-live).
 */
export const heldStartPolicies = ["refuse", "queue"] as const;
export type HeldStartPolicy = (typeof heldStartPolicies)[number];

/**
 * A maintenance window's state. `scheduled`: waiting for its next start; `active`: its workflows
 * are paused by it now; `done`: a one-off window that has ended; `cancelled`: called off before or
 * during a start (an active window cannot be cancelled: end it early instead).
 */
export const windowStates = ["scheduled", "active", "done", "cancelled"] as const;
export type WindowState = (typeof windowStates)[number];

/** What happened to a maintenance window, in its append-only log. */
export const windowLogActions = ["created", "edited", "started", "ended", "ended_early", "skipped", "cancelled"] as const;
export type WindowLogAction = (typeof windowLogActions)[number];
/**
 * Which instances of its workflows a maintenance window holds, when it holds some rather than
 * whole workflows: the instance list's own filter fields `q` (an id prefix) and `input` (an input
 * search, `region=eu`), as stored in `maintenance_windows.instance_filter` and answered by the API
 * (lib/maintenance/window-filter.ts parses and applies it).
 */
export type WindowFilter = { q?: string; input?: string };

export const gateStatuses = ["pending", "approved", "rejected", "expired", "withdrawn"] as const;
export type GateStatus = (typeof gateStatuses)[number];

export const gateDecisionKinds = ["approve", "reject"] as const;

/**
 * A UUID in text form, any version or variant Postgres accepts (ids may come from other systems):
 * the ids of instances, gates and users. One pattern for every check: a malformed id is refused
 * as not found before it reaches a `::uuid` cast, which would throw.
 */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Whether `value` matches UUID_PATTERN. */
export const isUuid = (value: string): boolean => UUID_PATTERN.test(value);

/**
 * Every event type the outbox carries (lib/events.ts writes them; the engine's batch statement
 * writes the instance ones too): the list a webhook subscription chooses from.
 */
export const eventTypes = [
  "workflow.instance.started",
  "workflow.instance.queued",
  "workflow.instance.paused",
  "workflow.instance.resumed",
  "workflow.instance.retried",
  "workflow.instance.cancelled",
  "workflow.instance.completed",
  "workflow.instance.failed",
  "workflow.instance.waiting",
  "workflow.instance.timed_out",
  "workflow.approval.requested",
  "workflow.approval.decided",
  "workflow.approval.delegated",
  "workflow.approval.escalated",
  "workflow.approval.expired",
  "workflow.approval.withdrawn",
  "workflow.paused",
  "workflow.resumed",
  "access.changed",
] as const;
export type OutboxEventType = (typeof eventTypes)[number];

/** A webhook delivery: waiting for (another) attempt, delivered (a 2xx), or given up after its last attempt. */
export const webhookDeliveryStatuses = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/** What a bulk operation does to each instance it targets (lib/bulk-operations/). */
export const bulkActions = ["pause", "resume"] as const;
export type BulkAction = (typeof bulkActions)[number];
/** A bulk operation runs in the worker until every target is done, or someone cancels it. */
export const bulkOperationStates = ["running", "completed", "cancelled"] as const;
export type BulkOperationState = (typeof bulkOperationStates)[number];
/** One target of a bulk operation: not reached yet, done, refused (with the refusal), or skipped by a cancel. */
export const bulkItemStatuses = ["pending", "succeeded", "refused", "skipped"] as const;
export type BulkItemStatus = (typeof bulkItemStatuses)[number];
/**
 * The instance filter a bulk operation was started with, as stored and answered: the list's
 * filter fields (lib/instances/bulk-filter.ts parses and applies it).
 */
export type BulkFilter = { status: string; workflow?: string; q?: string; input?: string };
/**
 * What a notification is about (lib/notifications). The gate kinds go to the people who may
 * decide the gate (and to channels that ask for them); the instance kinds only to channels.
 */
export const notificationKinds = ["gate_opened", "gate_delegated", "gate_escalated", "gate_expiring", "gate_reminder", "instance_paused", "instance_resumed"] as const;
export type NotificationKind = (typeof notificationKinds)[number];
/** Each kind in words, for the admin page and its log. */
export const notificationKindLabels: Record<NotificationKind, string> = {
  gate_opened: "Gate opened",
  gate_delegated: "Gate delegated",
  gate_escalated: "Gate escalated",
  gate_expiring: "Gate about to expire",
  gate_reminder: "Gate reminder",
  instance_paused: "Instance paused",
  instance_resumed: "Instance resumed",
};
/** The kinds a person may choose to receive on their account page. */
export const personalNotificationKinds = ["gate_opened", "gate_delegated", "gate_escalated", "gate_expiring", "gate_reminder"] as const satisfies readonly NotificationKind[];
/** How a notification travels: SMTP mail, or a POST to a Slack-compatible incoming webhook. */
export const notificationTransports = ["email", "chat"] as const;
export type NotificationTransport = (typeof notificationTransports)[number];
/** A notification: waiting for (another) attempt, sent, given up after its last attempt, or skipped (no longer true when its turn came). */
export const notificationStatuses = ["pending", "sent", "failed", "skipped"] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];
/** The smallest reminder interval a gate may ask for: one minute. */
export const MIN_NOTIFY_EVERY_MS = 60_000;
