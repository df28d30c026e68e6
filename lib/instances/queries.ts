import "server-only";
import { and, asc, desc, eq, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { gates, history, instanceStatuses, instances, stepRunLogs, stepRuns, workflowDefinitions, type Gate, type Instance, type InstanceStatus, type StepRun, type StepRunLog, type StepSpec } from "@/db/schema";
import { pauserExplanation } from "@/lib/actors";
import { decodeCursor, encodeCursor, limitSchema } from "@/lib/cursor";
import { invalid, notFound } from "@/lib/errors";
import { gatesForInstance } from "@/lib/gates/queries";
import { whoMayApprove } from "@/lib/gates/rules";
import { readySteps } from "./lifecycle/plan";
import { after, instanceOrders, listFilterWhere, sortLead, sortTime } from "./list-filter-where";
import { instanceListFilter } from "./list-filter";
import { COUNT_CAP } from "./limits";
import { parseInput } from "@/lib/validate";
import { isUuid, UUID_PATTERN } from "@/lib/domain";

/** `GET /api/v1/instances`: a list filter (list-filter.ts) and a page (`cursor` from the last page's `nextCursor`, `limit`). */
export const listInstancesQuery = instanceListFilter.extend({
  cursor: z.string().max(500).optional(),
  limit: limitSchema,
});
export type ListInstancesQuery = z.input<typeof listInstancesQuery>;

// [lead, time, id]: the sort's leading key (workflow or status; null for the time sorts), the
// exact time text and the id. A bare [time, id] is a cursor from before sorting; still honoured.
// Any UUID PostgreSQL accepts (UUID_PATTERN), not only RFC 9562 versions: ids may come from other systems.
const cursorSchema = z.union([
  z.tuple([z.string().max(100).nullable(), z.string().datetime(), z.string().regex(UUID_PATTERN)]),
  z.tuple([z.string().datetime(), z.string().regex(UUID_PATTERN)]).transform(([time, id]) => [null, time, id] as const),
]);

/** Steps still running while a graceful pause drains; derived, so it can never go stale. */
const drainingSteps = sql<number>`(select count(*)::int from ${stepRuns} where ${stepRuns.instanceId} = ${instances.id} and ${stepRuns.status} = 'running')`;

type GateWho = Pick<Gate, "stage" | "mode" | "approverRole" | "approvers" | "groups" | "roles">;
// Raw SQL results may come back as JSON text depending on the driver's parsers; accept both.
const json = <T>(v: unknown): T => (typeof v === "string" ? (JSON.parse(v) as T) : (v as T));

/** The instance's pending gates (stage and who may approve): what a waiting instance waits for. */
const pendingGates = sql<GateWho[]>`(select coalesce(json_agg(json_build_object('stage', g.stage, 'mode', g.mode, 'approverRole', g.approver_role, 'approvers', g.approvers, 'groups', g.groups, 'roles', g.roles) order by g.requested_at), '[]'::json) from ${gates} g where g.instance_id = ${instances.id} and g.status = 'pending')`.mapWith((v) => json<GateWho[]>(v));
/** Only for a paused instance with no current step: its definition's steps and the ones done, to name where it goes next. */
const stoppedBetween = sql`${instances.status} = 'paused' and cardinality(${instances.currentSteps}) = 0`;
const stepSpecs = sql<Pick<StepSpec, "key" | "dependsOn">[] | null>`case when ${stoppedBetween} then ${workflowDefinitions.steps} end`.mapWith((v) => (v === null ? null : json<StepSpec[]>(v)));
const completedSteps = sql<string[] | null>`case when ${stoppedBetween} then array(select distinct ${stepRuns.stepKey} from ${stepRuns} where ${stepRuns.instanceId} = ${instances.id} and ${stepRuns.status} in ('completed', 'skipped')) end`;

/**
 * What the list and the instance page say about a row beyond its columns: the gates it waits for
 * and who may approve them, the step it goes to next when none is current, and who paused it in words.
 */
function summarize<R extends { pendingGates: GateWho[]; stepSpecs: Pick<StepSpec, "key" | "dependsOn">[] | null; completedSteps: string[] | null; pausedByLabel: string | null; pauseKind: Instance["pauseKind"] }>({ pendingGates, stepSpecs, completedSteps, ...row }: R) {
  return {
    ...row,
    waitingFor: pendingGates.map((g) => ({ stage: g.stage, whoMayApprove: whoMayApprove(g) })),
    nextSteps: stepSpecs && completedSteps ? readySteps(stepSpecs, completedSteps) : [],
    pausedByExplanation: row.pausedByLabel ? pauserExplanation(row.pausedByLabel, row.pauseKind) : null,
  };
}

const listColumns = {
  id: instances.id,
  workflowKey: instances.workflowKey,
  workflowName: workflowDefinitions.name,
  workflowVersion: workflowDefinitions.version,
  status: instances.status,
  currentSteps: instances.currentSteps,
  startedByLabel: instances.startedByLabel,
  pausedAt: instances.pausedAt,
  pausedByLabel: instances.pausedByLabel,
  pauseReason: instances.pauseReason,
  pauseCategory: instances.pauseCategory,
  pauseTicketUrl: instances.pauseTicketUrl,
  pauseMode: instances.pauseMode,
  pauseKind: instances.pauseKind,
  resumeAt: instances.resumeAt,
  version: instances.version,
  createdAt: instances.createdAt,
  updatedAt: instances.updatedAt,
  drainingSteps,
  pendingGates,
  stepSpecs,
  completedSteps,
};

/**
 * One page of the list: the instances `raw`'s filter matches, in its sort's order, keyset-paginated
 * (`nextCursor` names where the page ended, so later pages never skip or repeat a row). Throws
 * `invalid` (400, field errors) for a bad filter or a cursor that is not from this sort.
 */
export async function listInstances(db: DbOrTx, raw: ListInstancesQuery) {
  const query = parseInput(listInstancesQuery, raw);
  const position = decodeCursor(cursorSchema, query.cursor);
  const lead = sortLead(query.sort);
  // A cursor from another sort (or naming no status) would page from a wrong place, or fail in SQL.
  const fits = !position || (lead === null ? position[0] === null : position[0] !== null && (query.sort !== "status" || (instanceStatuses as readonly string[]).includes(position[0])));
  if (!fits) throw invalid("The cursor is from another sort; start from the first page", { cursor: ["Invalid cursor"] });
  const time = sortTime(query.sort);
  const rows = await db
    .select({
      ...listColumns,
      // The exact time the cursor carries: created_at keeps microseconds that a JS Date would drop.
      cursorTime: sql<string>`to_char(${time} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(instances)
    .innerJoin(workflowDefinitions, eq(workflowDefinitions.id, instances.definitionId))
    .where(and(...listFilterWhere(query), position ? after(query.sort, { lead: position[0], time: position[1], id: position[2] }) : undefined))
    .orderBy(...instanceOrders[query.sort])
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor([lead === null ? null : String(query.sort === "workflow" ? last.workflowKey : last.status), last.cursorTime, last.id]) : null;
  return { items: page.map(({ cursorTime: _, ...row }) => summarize(row)), nextCursor };
}
export type InstanceListItem = Awaited<ReturnType<typeof listInstances>>["items"][number];

/**
 * Instances by status, each counted up to `cap` + 1 (COUNT_CAP by default): `cap + 1` means "more
 * than `cap`". One statement: per status, an index-only range of `instances_status_updated_idx`
 * cut off by a LIMIT, so the cost is bounded by the cap, not by how many instances have ended.
 * A status with none is absent.
 */
export async function countByStatus(db: DbOrTx, options: { cap?: number } = {}) {
  const limit = (options.cap ?? COUNT_CAP) + 1;
  const rows = await db.execute<{ status: InstanceStatus; count: number }>(sql`
    select s.status, (select count(*)::int from (select 1 from ${instances} i where i.status = s.status limit ${limit}) x) as count
    from unnest(enum_range(null::instance_status)) as s(status)`);
  return Object.fromEntries(rows.filter((r) => r.count > 0).map((r) => [r.status, r.count])) as Partial<Record<(typeof instanceStatuses)[number], number>>;
}

/**
 * How many history rows an instance page (and `GET /api/v1/instances/{id}`) carries: the newest
 * ones. An instance that has lived long may have tens of thousands; the rest are a keyset page
 * away in the history browser (`/history?instanceId=…`, `GET /api/v1/history?instanceId=…`).
 */
export const INSTANCE_HISTORY_PAGE = 50;

/**
 * One instance with its definition, step runs (newest attempt last), gates and its newest
 * INSTANCE_HISTORY_PAGE history rows (newest first; `historyMore` when older ones exist).
 * `lastChange` is the newest row that moved the status (who set the current one), found on its own
 * so it does not depend on the page. Each history read walks history_instance_seq_idx backwards
 * and stops at its LIMIT (issue 15: an instance with 10,000 rows loaded them all on every render).
 * Throws not_found for a malformed or unknown id.
 */
export async function getInstanceDetail(db: DbOrTx, id: string) {
  if (!isUuid(id)) throw notFound("Instance");
  const [row] = await db
    .select({ ...listColumns, definitionId: instances.definitionId, input: instances.input, context: instances.context, error: instances.error, finishedAt: instances.finishedAt, dueAt: instances.dueAt, pausedFromStatus: instances.pausedFromStatus, queuedAt: instances.queuedAt, queueExpiresAt: instances.queueExpiresAt, steps: workflowDefinitions.steps })
    .from(instances)
    .innerJoin(workflowDefinitions, eq(workflowDefinitions.id, instances.definitionId))
    .where(eq(instances.id, id));
  if (!row) throw notFound("Instance");
  const { steps: definitionSteps, ...instance } = summarize(row);
  const newest = (where?: SQL, limit = 1) =>
    db
      .select()
      .from(history)
      .where(and(eq(history.instanceId, id), where))
      .orderBy(desc(history.seq))
      .limit(limit);
  const [runs, page, [lastChange], [failedRow], gateRows, logRows] = await Promise.all([
    db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt)),
    newest(undefined, INSTANCE_HISTORY_PAGE + 1),
    newest(sql`${history.fromStatus} is distinct from ${history.toStatus}`),
    instance.status === "failed" ? newest(eq(history.action, "failed")) : Promise.resolve([]),
    gatesForInstance(db, id),
    db.select().from(stepRunLogs).where(eq(stepRunLogs.instanceId, id)),
  ]);
  const logsOf = new Map(logRows.map((l) => [l.runId, l]));
  const failedStep = typeof failedRow?.details.step === "string" ? failedRow.details.step : null;
  const steps = definitionSteps.map((spec) => {
    const attempts = runs.filter((r) => r.stepKey === spec.key);
    const view = stepView(spec, attempts, logsOf);
    // The step an engine failure names reads as failed even when its last run does not: a step
    // that lost its worker too often fails the instance with its next run queued, and the ending
    // cancels that run. Its error is the last failed attempt's, else the instance's.
    if (spec.key !== failedStep || view.status === "failed") return view;
    return { ...view, status: "failed" as const, error: attempts.findLast((r) => r.status === "failed")?.error ?? instance.error };
  });
  return { ...instance, steps, gates: gateRows, history: page.slice(0, INSTANCE_HISTORY_PAGE), historyMore: page.length > INSTANCE_HISTORY_PAGE, lastChange: lastChange ?? null };
}
export type InstanceDetail = Awaited<ReturnType<typeof getInstanceDetail>>;

/**
 * A step as its runs (oldest first) leave it: the latest attempt's status, timings and error, and
 * every attempt with its worker, end reason, output and the lines it logged (`logs`, oldest first;
 * `logsDropped` older ones not kept).
 */
function stepView(spec: StepSpec, attempts: StepRun[], logsOf: Map<string, StepRunLog>) {
  const latest = attempts.at(-1);
  return {
    key: spec.key,
    name: spec.name,
    dependsOn: spec.dependsOn,
    pauseBefore: spec.pauseBefore ?? false,
    gate: spec.gate ?? null,
    status: latest?.status ?? ("not_started" as const),
    attempt: latest?.attempt ?? 0,
    startedAt: latest?.startedAt ?? null,
    finishedAt: latest?.finishedAt ?? null,
    error: latest?.error ?? null,
    runs: attempts.map((r) => ({
      id: r.id,
      attempt: r.attempt,
      status: r.status,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      error: r.error,
      workerId: r.workerId,
      endReason: r.endReason,
      output: r.output,
      logs: logsOf.get(r.id)?.lines ?? [],
      logsDropped: logsOf.get(r.id)?.dropped ?? 0,
    })),
  };
}

export async function listWorkflowKeys(db: DbOrTx) {
  const rows = await db
    .selectDistinct({ key: workflowDefinitions.key, name: workflowDefinitions.name })
    .from(workflowDefinitions)
    .orderBy(workflowDefinitions.key);
  return rows;
}
