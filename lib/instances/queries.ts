import "server-only";
import { and, asc, desc, eq, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { gates, history, instanceStatuses, instances, stepRuns, workflowDefinitions, type Gate, type HistoryRow, type Instance, type InstanceStatus, type StepRun, type StepSpec } from "@/db/schema";
import { pauserExplanation } from "@/lib/actors";
import { decodeCursor, encodeCursor, limitSchema } from "@/lib/cursor";
import { notFound } from "@/lib/errors";
import { gatesForInstance } from "@/lib/gates/queries";
import { whoMayApprove } from "@/lib/gates/rules";
import { readySteps } from "./lifecycle/plan";
import { optionalText } from "@/lib/text";
import { parseInput } from "@/lib/validate";
import { isUuid, UUID_PATTERN } from "@/lib/domain";

export const listInstancesQuery = z.object({
  status: z.enum([...instanceStatuses, "all"]).default("all"),
  workflow: optionalText({ label: "Workflow", max: 100 }),
  q: optionalText({ label: "Search text", max: 100 }),
  cursor: z.string().max(500).optional(),
  limit: limitSchema,
});
export type ListInstancesQuery = z.input<typeof listInstancesQuery>;

// Any UUID PostgreSQL accepts (UUID_PATTERN), not only RFC 9562 versions: ids may come from other systems.
const cursorSchema = z.tuple([z.string().datetime(), z.string().regex(UUID_PATTERN)]);

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
const completedSteps = sql<string[] | null>`case when ${stoppedBetween} then array(select distinct ${stepRuns.stepKey} from ${stepRuns} where ${stepRuns.instanceId} = ${instances.id} and ${stepRuns.status} = 'completed') end`;

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
 * The list's one order, newest change first. Spelled `nulls last` to match the indexes
 * (`instances_updated_idx`, `instances_status_updated_idx`: drizzle declares `.desc()` index
 * columns NULLS LAST, while `desc()` in ORDER BY means nulls first); otherwise PostgreSQL cannot
 * walk the index and sorts every instance instead (issue 15: 946 ms at a million rows).
 * test/integration/list-plans.test.ts keeps it so.
 */
export const instanceOrder = [sql`${instances.updatedAt} desc nulls last`, sql`${instances.id} desc nulls last`];

/**
 * Instances whose id starts with `prefix` (case-insensitive, as the id is shown). A prefix of the
 * id's canonical text is a range of UUIDs, so it is asked as one (`id between 4f2a9c1e-0000-… and
 * 4f2a9c1e-ffff-…`), which the primary key serves; `id::text ilike '4f2a9c1e%'` read every
 * instance (issue 15: 1 s at a million). Anything else cannot match an id and matches nothing.
 */
function idPrefix(prefix: string): SQL {
  const typed = prefix.toLowerCase();
  const canonical = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  const fits = typed.length <= canonical.length && [...typed].every((c, i) => (canonical[i] === "-" ? c === "-" : /[0-9a-f]/.test(c)));
  if (!fits) return sql`false`;
  const hex = typed.replaceAll("-", "");
  const asUuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return sql`${instances.id} between ${asUuid(hex.padEnd(32, "0"))}::uuid and ${asUuid(hex.padEnd(32, "f"))}::uuid`;
}

/** Newest change first, keyset-paginated on (updatedAt, id) so pages never skip or repeat. */
export async function listInstances(db: DbOrTx, raw: ListInstancesQuery) {
  const query = parseInput(listInstancesQuery, raw);
  const after = decodeCursor(cursorSchema, query.cursor);
  const where: (SQL | undefined)[] = [
    query.status === "all" ? undefined : eq(instances.status, query.status),
    query.workflow ? eq(instances.workflowKey, query.workflow) : undefined,
    query.q ? idPrefix(query.q) : undefined,
    after
      ? or(lt(instances.updatedAt, new Date(after[0])), and(eq(instances.updatedAt, new Date(after[0])), lt(instances.id, after[1])))
      : undefined,
  ];
  const rows = await db
    .select(listColumns)
    .from(instances)
    .innerJoin(workflowDefinitions, eq(workflowDefinitions.id, instances.definitionId))
    .where(and(...where))
    .orderBy(...instanceOrder)
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit).map(summarize);
  const last = items.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor([last.updatedAt.toISOString(), last.id]) : null;
  return { items, nextCursor };
}
export type InstanceListItem = Awaited<ReturnType<typeof listInstances>>["items"][number];

export async function countByStatus(db: DbOrTx) {
  const rows = await db
    .select({ status: instances.status, count: sql<number>`count(*)::int` })
    .from(instances)
    .groupBy(instances.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.count])) as Partial<Record<(typeof instanceStatuses)[number], number>>;
}

/** One instance with its definition, step runs (newest attempt last) and full history. */
export async function getInstanceDetail(db: DbOrTx, id: string) {
  if (!isUuid(id)) throw notFound("Instance");
  const [row] = await db
    .select({ ...listColumns, definitionId: instances.definitionId, input: instances.input, context: instances.context, error: instances.error, finishedAt: instances.finishedAt, dueAt: instances.dueAt, pausedFromStatus: instances.pausedFromStatus, queuedAt: instances.queuedAt, queueExpiresAt: instances.queueExpiresAt, steps: workflowDefinitions.steps })
    .from(instances)
    .innerJoin(workflowDefinitions, eq(workflowDefinitions.id, instances.definitionId))
    .where(eq(instances.id, id));
  if (!row) throw notFound("Instance");
  const { steps: definitionSteps, ...instance } = summarize(row);
  const [runs, rows, gateRows] = await Promise.all([
    db.select().from(stepRuns).where(eq(stepRuns.instanceId, id)).orderBy(asc(stepRuns.createdAt)),
    db.select().from(history).where(eq(history.instanceId, id)).orderBy(desc(history.seq)),
    gatesForInstance(db, id),
  ]);
  const failedStep = failedStepOf(instance, rows);
  const steps = definitionSteps.map((spec) => {
    const attempts = runs.filter((r) => r.stepKey === spec.key);
    const view = stepView(spec, attempts);
    // The step an engine failure names reads as failed even when its last run does not: a step
    // that lost its worker too often fails the instance with its next run queued, and the ending
    // cancels that run. Its error is the last failed attempt's, else the instance's.
    if (spec.key !== failedStep || view.status === "failed") return view;
    return { ...view, status: "failed" as const, error: attempts.findLast((r) => r.status === "failed")?.error ?? instance.error };
  });
  return { ...instance, steps, gates: gateRows, history: rows };
}
export type InstanceDetail = Awaited<ReturnType<typeof getInstanceDetail>>;

/** The step a failed instance's `failed` history row names (engine failures carry `details.step`), if any. */
function failedStepOf(instance: { status: InstanceStatus }, newestFirst: HistoryRow[]): string | null {
  if (instance.status !== "failed") return null;
  const step = newestFirst.find((r) => r.action === "failed")?.details.step;
  return typeof step === "string" ? step : null;
}

/** A step as its runs (oldest first) leave it: the latest attempt's status, timings and error. */
function stepView(spec: StepSpec, attempts: StepRun[]) {
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
    runs: attempts.map((r) => ({ id: r.id, attempt: r.attempt, status: r.status, startedAt: r.startedAt, finishedAt: r.finishedAt, error: r.error, workerId: r.workerId })),
  };
}

export async function listWorkflowKeys(db: DbOrTx) {
  const rows = await db
    .selectDistinct({ key: workflowDefinitions.key, name: workflowDefinitions.name })
    .from(workflowDefinitions)
    .orderBy(workflowDefinitions.key);
  return rows;
}
