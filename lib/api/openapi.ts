import "server-only";
import { z } from "zod";
import { createDocument, type CreateDocumentOptions, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from "zod-openapi";
import { historyExportQuery, logDownloadQuery } from "@/lib/audit/export";
import { historyQuery } from "@/lib/audit/queries";
import { SESSION_COOKIE } from "@/lib/auth/sessions";
import { approveInputSchema, delegateInputSchema, rejectInputSchema } from "@/lib/gates/inputs";
import { listGatesQuery } from "@/lib/gates/queries";
import { bulkPauseSchema, bulkResumeSchema } from "@/lib/instances/bulk";
import { cancelInputSchema, pauseInputSchema, resumeInputSchema, retryInputSchema, startInputSchema } from "@/lib/instances/inputs";
import { bulkFilterSchema } from "@/lib/instances/bulk-filter";
import { cancelBulkSchema, filterPauseSchema, filterResumeSchema } from "@/lib/bulk-operations/inputs";
import { bulkProgressEventSchema } from "@/lib/bulk-operations/progress-event";
import { bulkTargetsQuery, listBulkOperationsQuery } from "@/lib/bulk-operations/queries";
import { listInstancesQuery } from "@/lib/instances/queries";
import { deactivateUserSchema, reactivateUserSchema } from "@/lib/users/manage-users";
import { issueTokenSchema, revokeTokenSchema } from "@/lib/users/tokens";
import { deliveryListQuery, replaySchema } from "@/lib/webhooks/deliveries";
import { createSubscriptionSchema, subscriptionIdSchema, updateSubscriptionSchema } from "@/lib/webhooks/subscriptions";
import { pauseWorkflowInputSchema, resumeWorkflowInputSchema } from "@/lib/workflows/workflow-pauses";
import { startPolicyInputSchema } from "@/lib/workflows/start-policy";
import { cancelWindowSchema, createWindowSchema, editWindowSchema, endWindowSchema, listWindowsQuery } from "@/lib/maintenance/inputs";
import { BODY_MAX_BYTES } from "./respond";
import * as res from "./response-schemas";

/*
 * The OpenAPI 3.1 document of /api/v1, served at GET /api/v1/openapi.json and rendered at
 * /api/docs. Nothing here restates a rule: request bodies, path and query parameters are the zod
 * schemas the use cases parse with (a command's body is its input schema minus the fields its
 * route takes from the path), and answers are the schemas of lib/api/response-schemas.ts, which
 * the type checker holds to what the code returns. test/api/openapi.test.ts fails when a route
 * under app/api/v1 is missing here (or listed here but gone), and validates real answers
 * against this document.
 */

/** A command's body: its input schema without the fields the route fills in from the path. */
function bodyOf(schema: z.ZodObject, ...fromPath: string[]): z.ZodObject {
  // A fresh object from the shape: zod refuses .omit() on an object with refinements (resume's
  // "force needs a reason"), and a refinement has no JSON Schema to contribute anyway.
  return z.object(Object.fromEntries(Object.entries(schema.shape).filter(([key]) => !fromPath.includes(key))));
}

const instanceId = z.object({ id: pauseInputSchema.shape.instanceId.meta({ description: "The instance's id (a malformed id answers 404, like an unknown one)" }) });
const gateId = z.object({ id: approveInputSchema.shape.gateId.meta({ description: "The gate's id" }) });
const userId = z.object({ id: issueTokenSchema.shape.userId.meta({ description: "The user's id" }) });
const tokenId = z.object({ id: revokeTokenSchema.shape.tokenId.meta({ description: "The token's id (not the token)" }) });
const webhookId = z.object({ id: subscriptionIdSchema.shape.subscriptionId.meta({ description: "The subscription's id" }) });
const deliveryId = z.object({ id: replaySchema.shape.deliveryId.meta({ description: "The delivery's id" }) });
const bulkOperationId = z.object({ id: z.string().max(100).meta({ description: "The bulk operation's id (a malformed id answers 404, like an unknown one)" }) });
const workflowKey = z.object({ key: pauseWorkflowInputSchema.shape.workflow });
const windowId = z.object({ id: endWindowSchema.shape.windowId.meta({ description: "The maintenance window's id" }) });
/** A window's fields without its refinements (once or recurring), which have no JSON Schema. */
const windowBody = (schema: typeof createWindowSchema | typeof editWindowSchema, ...fromPath: string[]) => bodyOf(schema as unknown as z.ZodObject, ...fromPath);

const json = (schema: z.ZodType) => ({ "application/json": { schema } });

const errorAnswer = (id: string, description: string): ZodOpenApiResponseObject => ({ id, description, content: json(res.errorSchema) });

/** The error answers of the README's REST API section, each a component the operations point at. */
const errors = {
  400: errorAnswer("Invalid", "`invalid`: a field's problems keyed by the field in `fields`; or a body that is not UTF-8 JSON, not an object, or nests deeper than 32 levels"),
  401: errorAnswer("Unauthenticated", "`unauthenticated`: no session cookie or bearer token, or one that is expired, revoked or of a deactivated user"),
  403: errorAnswer("Forbidden", "`forbidden`: the role does not allow this; `cross_origin`: a cookie-authenticated write from another origin"),
  404: errorAnswer("NotFound", "`not_found`: unknown or malformed id"),
  413: errorAnswer("TooLarge", `\`too_large\`: a body over ${BODY_MAX_BYTES / 1024} KB, refused before it is parsed`),
  415: errorAnswer("UnsupportedMediaType", "`unsupported_media_type`: a cookie-authenticated write whose body is not exactly `application/json`"),
  503: {
    ...errorAnswer("Unavailable", "`unavailable`: the database cannot be reached; retry after `Retry-After` seconds"),
    headers: z.object({ "retry-after": z.string().meta({ description: "Seconds to wait before retrying" }) }),
  },
} satisfies Record<number, ZodOpenApiResponseObject>;

type Operation = {
  summary: string;
  tag: string;
  /** Who may call it, in words (the role matrix is lib/auth/permissions.ts). */
  who?: string;
  path?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The success answer; `status` defaults to 200. */
  ok: { status?: 200 | 201; description: string; content: ZodOpenApiResponseObject["content"]; headers?: z.ZodObject };
  /** Another success answer (a bulk command by filter answers 202). */
  alsoOk?: { status: 202; description: string; content: ZodOpenApiResponseObject["content"]; headers?: z.ZodObject };
  /** When the operation answers 404 without a path id (an unknown workflow). */
  notFound?: boolean;
  /** When it answers 409, and why. */
  conflict?: string;
};

function operation(o: Operation): ZodOpenApiOperationObject {
  const write = o.body !== undefined;
  return {
    summary: o.summary,
    tags: [o.tag],
    ...(o.who ? { description: `Allowed to: ${o.who}.` } : {}),
    ...(o.path || o.query ? { requestParams: { ...(o.path ? { path: o.path } : {}), ...(o.query ? { query: o.query } : {}) } } : {}),
    ...(write ? { requestBody: { required: false, content: json(o.body!) } } : {}),
    responses: {
      [o.ok.status ?? 200]: { description: o.ok.description, content: o.ok.content, ...(o.ok.headers ? { headers: o.ok.headers } : {}) },
      ...(o.alsoOk ? { [o.alsoOk.status]: { description: o.alsoOk.description, content: o.alsoOk.content, ...(o.alsoOk.headers ? { headers: o.alsoOk.headers } : {}) } } : {}),
      ...(write || o.query ? { 400: errors[400] } : {}),
      401: errors[401],
      403: errors[403],
      ...(o.path || o.notFound ? { 404: errors[404] } : {}),
      // Each operation says why it conflicts, so its 409 is its own rather than the shared component.
      ...(o.conflict ? { 409: { description: `\`conflict\`: ${o.conflict}`, content: json(res.errorSchema) } } : {}),
      ...(write ? { 413: errors[413], 415: errors[415] } : {}),
      503: errors[503],
    },
  };
}

const csv = { "text/csv": { schema: z.string() } };
const everyone = "every signed-in role";
const operators = "operators and admins";
const approvers = "approvers and admins";
const admins = "admins";

const paths: ZodOpenApiPathsObject = {
  "/instances": {
    get: operation({ tag: "Instances", summary: "List instances: filter by status, workflow, id prefix or input fields (`input=customer=acme`); sort by last change, start, workflow or status", who: everyone, query: listInstancesQuery, ok: { description: "A page of instances", content: json(res.instancePageSchema) } }),
    post: operation({
      tag: "Instances",
      summary: "Start an instance of a workflow",
      who: operators,
      body: startInputSchema,
      notFound: true,
      conflict: "the workflow is paused, so no new instance starts",
      ok: { status: 201, description: "The new instance", content: json(res.instanceSchema) },
    }),
  },
  "/instances/counts": {
    get: operation({ tag: "Instances", summary: "Count instances by status", who: everyone, ok: { description: "Counts by status", content: json(res.instanceCountsSchema) } }),
  },
  "/instances/{id}": {
    get: operation({ tag: "Instances", summary: "One instance with its steps, gates and history", who: everyone, path: instanceId, ok: { description: "The instance", content: json(res.instanceDetailSchema) } }),
  },
  "/instances/{id}/pause": {
    post: operation({
      tag: "Instances",
      summary: "Pause an instance",
      who: operators,
      path: instanceId,
      body: bodyOf(pauseInputSchema, "instanceId"),
      conflict: "already paused (saying by whom and when), not running, or a stale `expectedVersion`",
      ok: { description: "The paused (or draining) instance", content: json(res.instanceSchema) },
    }),
  },
  "/instances/{id}/resume": {
    post: operation({
      tag: "Instances",
      summary: "Resume a paused instance",
      who: operators,
      path: instanceId,
      body: bodyOf(resumeInputSchema, "instanceId"),
      conflict: "not paused, a stale `expectedVersion`, or the workflow's resume condition fails (its message; `force` with a reason skips it)",
      ok: { description: "The resumed instance", content: json(res.instanceSchema) },
    }),
  },
  "/instances/{id}/cancel": {
    post: operation({
      tag: "Instances",
      summary: "Cancel an instance",
      who: operators,
      path: instanceId,
      body: bodyOf(cancelInputSchema, "instanceId"),
      conflict: "the instance has already ended, or a stale `expectedVersion`",
      ok: { description: "The cancelled instance: running steps aborted, queued ones dropped, pending gates withdrawn", content: json(res.instanceSchema) },
    }),
  },
  "/instances/{id}/retry": {
    post: operation({
      tag: "Instances",
      summary: "Retry a failed instance from its failed step(s)",
      who: operators,
      path: instanceId,
      body: bodyOf(retryInputSchema, "instanceId"),
      conflict: "not failed (a timed-out instance cannot be retried), the workflow is paused, no failed step to retry (it failed at a gate), or a stale `expectedVersion`",
      ok: { description: "The instance, running again: its failed steps queued with the next attempt number, completed steps and context kept", content: json(res.instanceSchema) },
    }),
  },
  "/instances/bulk/pause": {
    get: operation({ tag: "Bulk operations", summary: "Count the instances a pause by this filter would act on (running or waiting ones it matches)", who: everyone, query: bulkFilterSchema, ok: { description: "The count", content: json(res.bulkPreviewSchema) } }),
    post: operation({
      tag: "Instances",
      summary: "Pause many instances: by `instanceIds` (at most 500, answered when done) or by `filter` (any count, run by the worker)",
      who: operators,
      body: z.union([bulkPauseSchema, filterPauseSchema]),
      conflict: "by filter: no running or waiting instance matches it",
      ok: { description: "By `instanceIds`: what happened to each instance", content: json(res.bulkSummarySchema) },
      alsoOk: { status: 202, description: "By `filter`: the operation, started; follow it at `Location`", content: json(res.bulkOperationSchema), headers: z.object({ location: z.string().meta({ description: "/api/v1/bulk-operations/{id}" }) }) },
    }),
  },
  "/instances/bulk/resume": {
    get: operation({ tag: "Bulk operations", summary: "Count the instances a resume by this filter would act on (paused ones it matches)", who: everyone, query: bulkFilterSchema, ok: { description: "The count", content: json(res.bulkPreviewSchema) } }),
    post: operation({
      tag: "Instances",
      summary: "Resume many instances, paced at 20 a second: by `instanceIds` (at most 500) or by `filter` (any count, run by the worker)",
      who: operators,
      body: z.union([bulkResumeSchema, filterResumeSchema]),
      conflict: "by filter: no paused instance matches it",
      ok: { description: "By `instanceIds`: what happened to each instance", content: json(res.bulkSummarySchema) },
      alsoOk: { status: 202, description: "By `filter`: the operation, started; follow it at `Location`", content: json(res.bulkOperationSchema), headers: z.object({ location: z.string().meta({ description: "/api/v1/bulk-operations/{id}" }) }) },
    }),
  },
  "/bulk-operations": {
    get: operation({ tag: "Bulk operations", summary: "Bulk operations by filter, newest first", who: everyone, query: listBulkOperationsQuery, ok: { description: "A page of operations with their counts", content: json(res.bulkOperationPageSchema) } }),
  },
  "/bulk-operations/{id}": {
    get: operation({ tag: "Bulk operations", summary: "One bulk operation: who, when, why, the filter, its state and counts (follow `/bulk-operations/{id}/stream` for progress)", who: everyone, path: bulkOperationId, ok: { description: "The operation", content: json(res.bulkOperationSchema) } }),
  },
  "/bulk-operations/{id}/stream": {
    get: operation({
      tag: "Bulk operations",
      summary: "Follow one bulk operation as server-sent events, instead of polling it",
      who: everyone,
      path: bulkOperationId,
      ok: {
        description:
          "First the operation's state now: a `progress` event (`BulkProgress`: `operationId`, `state`, `matched`, `counts`), or `done` if it has ended. " +
          "Then a `progress` event each time the worker announces one (at most every 250 ms while it works), and a final `done` event carrying the whole operation " +
          "(`BulkOperation`, as `GET /bulk-operations/{id}`) once it is completed or cancelled, after which the stream ends. A comment every 20 s keeps it open.",
        content: { "text/event-stream": { schema: z.string() } },
      },
    }),
  },
  "/bulk-operations/{id}/targets": {
    get: operation({ tag: "Bulk operations", summary: "An operation's per-instance results, in the order they are worked through", who: everyone, path: bulkOperationId, query: bulkTargetsQuery, ok: { description: "A page of targets", content: json(res.bulkTargetPageSchema) } }),
  },
  "/bulk-operations/{id}/cancel": {
    post: operation({
      tag: "Bulk operations",
      summary: "Cancel a running bulk operation: its pending targets are skipped; instances already done stay so",
      who: "operators and admins (whoever may do the operation's action)",
      path: bulkOperationId,
      body: cancelBulkSchema,
      conflict: "the operation has already completed or been cancelled",
      ok: { description: "The cancelled operation", content: json(res.bulkOperationSchema) },
    }),
  },
  "/workflows": {
    get: operation({ tag: "Workflows", summary: "Workflow definitions with their instance counts and hold", who: everyone, ok: { description: "Every definition, newest version first within a key", content: json(res.workflowListSchema) } }),
  },
  "/workflows/{key}/pause": {
    post: operation({
      tag: "Workflows",
      summary: "Pause a workflow: no new instance of it starts",
      who: operators,
      path: workflowKey,
      body: bodyOf(pauseWorkflowInputSchema, "workflow"),
      conflict: "already paused",
      ok: { description: "The pause", content: json(res.workflowHoldSchema) },
    }),
  },
  "/workflows/{key}/resume": {
    post: operation({
      tag: "Workflows",
      summary: "Resume a paused workflow: instances may start again",
      who: operators,
      path: workflowKey,
      body: bodyOf(resumeWorkflowInputSchema, "workflow"),
      conflict: "not paused",
      ok: { description: "The workflow is no longer held", content: json(res.workflowResumedSchema) },
    }),
  },
  "/workflows/{key}/start-policy": {
    post: operation({
      tag: "Workflows",
      summary: "Set what the workflow does with new starts while it is paused: refuse (409) or queue",
      who: operators,
      path: workflowKey,
      body: bodyOf(startPolicyInputSchema as unknown as z.ZodObject, "workflow"),
      ok: { description: "The policy now in force", content: json(res.startPolicySchema) },
    }),
  },
  "/maintenance-windows": {
    get: operation({ tag: "Maintenance windows", summary: "Scheduled and active maintenance windows, active first, then by next start", who: everyone, query: listWindowsQuery, ok: { description: "The windows", content: json(res.maintenanceWindowListSchema) } }),
    post: operation({
      tag: "Maintenance windows",
      summary: "Schedule a maintenance window: once (startsAt, endsAt) or recurring (cron, timezone, durationMinutes)",
      who: operators,
      body: windowBody(createWindowSchema),
      ok: { status: 201, description: "The new window", content: json(res.maintenanceWindowSchema) },
    }),
  },
  "/maintenance-windows/{id}": {
    get: operation({ tag: "Maintenance windows", summary: "One maintenance window with its log", who: everyone, path: windowId, ok: { description: "The window and its log, oldest first", content: json(res.maintenanceWindowDetailSchema) } }),
    put: operation({
      tag: "Maintenance windows",
      summary: "Restate a scheduled maintenance window",
      who: operators,
      path: windowId,
      body: windowBody(editWindowSchema, "windowId"),
      conflict: "the window is active, over or cancelled, or a stale `expectedVersion`",
      ok: { description: "The window", content: json(res.maintenanceWindowSchema) },
    }),
  },
  "/maintenance-windows/{id}/end": {
    post: operation({
      tag: "Maintenance windows",
      summary: "End an active window's occurrence now",
      who: operators,
      path: windowId,
      body: bodyOf(endWindowSchema, "windowId"),
      conflict: "the window is not active",
      ok: { description: "The window, moved on to its next occurrence or done", content: json(res.maintenanceWindowSchema) },
    }),
  },
  "/maintenance-windows/{id}/cancel": {
    post: operation({
      tag: "Maintenance windows",
      summary: "Cancel a maintenance window for good (an active one ends now)",
      who: operators,
      path: windowId,
      body: bodyOf(cancelWindowSchema, "windowId"),
      conflict: "the window is already over or cancelled",
      ok: { description: "The cancelled window", content: json(res.maintenanceWindowSchema) },
    }),
  },
  "/workflow-pauses": {
    get: operation({
      tag: "Workflows",
      summary: "The newest 200 pauses and resumes of whole workflows",
      who: everyone,
      query: logDownloadQuery,
      ok: { description: "JSON, or with `format=csv` all of it as a download", content: { ...json(res.workflowPauseLogSchema), ...csv } },
    }),
  },
  "/gates": {
    get: operation({ tag: "Gates", summary: "List gates, oldest request first", who: everyone, query: listGatesQuery, ok: { description: "A page of gates", content: json(res.gatePageSchema) } }),
  },
  "/gates/{id}/approve": {
    post: operation({
      tag: "Gates",
      summary: "Approve a gate",
      who: approvers,
      path: gateId,
      body: bodyOf(approveInputSchema, "gateId"),
      conflict: "already decided (by you, or the gate by someone first), or the instance has ended",
      ok: { description: "The decision and where the gate stands", content: json(res.decisionResultSchema) },
    }),
  },
  "/gates/{id}/reject": {
    post: operation({
      tag: "Gates",
      summary: "Reject a gate: the instance fails",
      who: approvers,
      path: gateId,
      body: bodyOf(rejectInputSchema, "gateId"),
      conflict: "already decided, or the instance has ended",
      ok: { description: "The rejected gate", content: json(res.decisionResultSchema) },
    }),
  },
  "/gates/{id}/delegate": {
    post: operation({
      tag: "Gates",
      summary: "Pass your turn on a gate to another approver",
      who: approvers,
      path: gateId,
      body: bodyOf(delegateInputSchema, "gateId"),
      conflict: "earlier decisions or delegations rule the delegate out",
      ok: { description: "The delegation", content: json(res.delegationSchema) },
    }),
  },
  "/history": {
    get: operation({ tag: "History", summary: "Browse history, newest first", who: everyone, query: historyQuery, ok: { description: "A page of history rows", content: json(res.historyPageSchema) } }),
  },
  "/history/export": {
    get: operation({
      tag: "History",
      summary: "The filtered history as a file, streamed",
      who: everyone,
      query: historyExportQuery,
      ok: {
        description: "CSV or NDJSON (one history row per line)",
        content: { ...csv, "application/x-ndjson": { schema: z.string() } },
        headers: z.object({ "x-total-count": z.string().meta({ description: "How many rows the file holds, for a progress bar" }) }),
      },
    }),
  },
  "/access-changes": {
    get: operation({
      tag: "Access",
      summary: "The newest 100 access changes",
      who: "auditors and admins",
      query: logDownloadQuery,
      ok: { description: "JSON, or with `format=csv` all of it as a download", content: { ...json(res.accessChangesSchema), ...csv } },
    }),
  },
  "/me": {
    get: operation({ tag: "Users", summary: "The caller", who: everyone, ok: { description: "Who the session or token is", content: json(res.meSchema) } }),
  },
  "/users": {
    get: operation({ tag: "Users", summary: "Every user", who: admins, ok: { description: "Users with their status and count of active tokens", content: json(res.userListSchema) } }),
  },
  "/users/{id}/deactivate": {
    post: operation({
      tag: "Users",
      summary: "Deactivate a user: sessions end, tokens refused",
      who: admins,
      path: userId,
      body: bodyOf(deactivateUserSchema, "userId"),
      conflict: "yourself, or already deactivated",
      ok: { description: "The user", content: json(res.userSchema) },
    }),
  },
  "/users/{id}/reactivate": {
    post: operation({ tag: "Users", summary: "Reactivate a user", who: admins, path: userId, body: bodyOf(reactivateUserSchema, "userId"), conflict: "the user is active", ok: { description: "The user", content: json(res.userSchema) } }),
  },
  "/users/{id}/password-reset": {
    post: operation({
      tag: "Users",
      summary: "Issue a one-time password reset link",
      who: admins,
      path: userId,
      body: z.object({}),
      ok: { status: 201, description: "The link, valid an hour, shown this once", content: json(res.passwordResetSchema) },
    }),
  },
  "/users/{id}/tokens": {
    get: operation({ tag: "Tokens", summary: "A user's API tokens, newest first", who: "yourself, or admins for anyone", path: userId, ok: { description: "The tokens (never the tokens themselves)", content: json(res.tokenListSchema) } }),
    post: operation({
      tag: "Tokens",
      summary: "Issue an API token",
      who: "yourself, or admins for anyone",
      path: userId,
      body: bodyOf(issueTokenSchema, "userId"),
      conflict: "the user is deactivated",
      ok: { status: 201, description: "The row and the token, shown this once", content: json(res.issuedTokenSchema) },
    }),
  },
  "/tokens/{id}/revoke": {
    post: operation({
      tag: "Tokens",
      summary: "Revoke an API token",
      who: "its owner, or admins",
      path: tokenId,
      body: bodyOf(revokeTokenSchema, "tokenId"),
      conflict: "already revoked",
      ok: { description: "The revoked row", content: json(res.tokenSchema) },
    }),
  },
  "/webhooks": {
    get: operation({ tag: "Webhooks", summary: "Every webhook subscription", who: admins, ok: { description: "Subscriptions, newest first (never their secrets)", content: json(res.webhookListSchema) } }),
    post: operation({ tag: "Webhooks", summary: "Subscribe a URL to outbox events", who: admins, body: createSubscriptionSchema, ok: { status: 201, description: "The subscription and its signing secret, shown this once", content: json(res.createdWebhookSchema) } }),
  },
  "/webhooks/{id}": {
    get: operation({ tag: "Webhooks", summary: "One webhook subscription", who: admins, path: webhookId, ok: { description: "The subscription", content: json(res.webhookSchema) } }),
    patch: operation({ tag: "Webhooks", summary: "Change, disable or enable a subscription", who: admins, path: webhookId, body: bodyOf(updateSubscriptionSchema, "subscriptionId"), ok: { description: "The subscription", content: json(res.webhookSchema) } }),
    // No body, but a cookie-authenticated DELETE is a write like any other (application/json, same origin).
    delete: operation({ tag: "Webhooks", summary: "Delete a subscription with its delivery log", who: admins, path: webhookId, body: z.object({}), ok: { description: "What was deleted", content: json(res.webhookSchema) } }),
  },
  "/webhooks/{id}/deliveries": {
    get: operation({ tag: "Webhooks", summary: "A subscription's newest deliveries with every attempt", who: admins, path: webhookId, query: deliveryListQuery, ok: { description: "The delivery log", content: json(res.webhookDeliveryListSchema) } }),
  },
  "/webhooks/deliveries/{id}/replay": {
    post: operation({
      tag: "Webhooks",
      summary: "Send a delivery again, with the same webhook-id",
      who: admins,
      path: deliveryId,
      body: z.object({}),
      conflict: "the subscription is disabled, or an attempt is in flight",
      ok: { description: "The delivery, due now", content: json(res.webhookDeliverySchema) },
    }),
  },
  "/stream": {
    get: operation({
      tag: "Events",
      summary: "Committed changes as server-sent events",
      who: everyone,
      ok: { description: "A `change` event (`{ type, instanceId }`) per committed change; a comment every 20 s keeps it open", content: { "text/event-stream": { schema: z.string() } } },
    }),
  },
  "/openapi.json": {
    get: operation({ tag: "Document", summary: "This document", who: everyone, ok: { description: "OpenAPI 3.1", content: json(z.record(z.string(), z.unknown())) } }),
  },
};

/** Dates are Date objects in the code and ISO 8601 strings in JSON: render answers as the latter. */
const override: CreateDocumentOptions["override"] = ({ jsonSchema, zodSchema, io }) => {
  if (io === "output" && zodSchema._zod.def.type === "date") {
    jsonSchema.type = "string";
    jsonSchema.format = "date-time";
  }
};

let built: ReturnType<typeof createDocument> | undefined;

/** The document, built once per process: the schemas do not change while it runs. */
export function openApiDocument(): ReturnType<typeof createDocument> {
  built ??= createDocument(
    {
      openapi: "3.1.0",
      info: {
        title: "Flowgate API",
        version: "1",
        description: "Pause, resume and sign off running workflows. JSON in and out; errors are `{ error: { code, message, fields? } }`.",
      },
      servers: [{ url: "/api/v1" }],
      security: [{ bearerToken: [] }, { sessionCookie: [] }],
      components: {
        securitySchemes: {
          bearerToken: { type: "http", scheme: "bearer", description: "An API token (`fgt_…`), issued on /account or with POST /users/{id}/tokens" },
          sessionCookie: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "The dashboard's session; writes with it must be `application/json` from Flowgate's own origin" },
        },
        // Sent inside GET /bulk-operations/{id}/stream, which the document can only type as text.
        schemas: { BulkProgress: bulkProgressEventSchema },
      },
      paths,
    },
    { override },
  );
  return built;
}
