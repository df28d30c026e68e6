import "server-only";
import { and, asc, desc, eq, ilike, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { history, instanceStatuses, instances, stepRuns, workflowDefinitions, type HistoryRow, type InstanceStatus, type StepRun, type StepSpec } from "@/db/schema";
import { decodeCursor, encodeCursor, limitSchema } from "@/lib/cursor";
import { notFound } from "@/lib/errors";
import { gatesForInstance } from "@/lib/gates/queries";
import { optionalText } from "@/lib/text";
import { parseInput } from "@/lib/validate";
import { isUuid } from "@/lib/domain";



export const listInstancesQuery = z.object({
  status: z.enum([...instanceStatuses, "all"]).default("all"),
  workflow: optionalText({ label: "Workflow", max: 100 }),
  q: optionalText({ label: "Search text", max: 100 }),
  cursor: z.string().max(500).optional(),
  limit: limitSchema,
});
export type ListInstancesQuery = z.input<typeof listInstancesQuery>;

const cursorSchema = z.tuple([z.string().datetime(), z.string().uuid()]);

/** Steps still running while a graceful pause drains; derived, so it can never go stale. */
const drainingSteps = sql<number>`(select count(*)::int from ${stepRuns} where ${stepRuns.instanceId} = ${instances.id} and ${stepRuns.status} = 'running')`;

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
};

/**
 * The list's one order, newest change first. Spelled `nulls last` to match the indexes
 * (`instances_updated_idx`, `instances_status_updated_idx`: drizzle declares `.desc()` index
 * columns NULLS LAST, while `desc()` in ORDER BY means nulls first); otherwise PostgreSQL cannot
 * walk the index and sorts every instance instead (issue 15: 946 ms at a million rows).
 * test/integration/list-plans.test.ts keeps it so.
 */
export const instanceOrder = [sql`${instances.updatedAt} desc nulls last`, sql`${instances.id} desc nulls last`];

/** Newest change first, keyset-paginated on (updatedAt, id) so pages never skip or repeat. */
export async function listInstances(db: DbOrTx, raw: ListInstancesQuery) {
  const query = parseInput(listInstancesQuery, raw);
  const after = decodeCursor(cursorSchema, query.cursor);
  const where: (SQL | undefined)[] = [
    query.status === "all" ? undefined : eq(instances.status, query.status),
    query.workflow ? eq(instances.workflowKey, query.workflow) : undefined,
    query.q ? ilike(sql`${instances.id}::text`, `${query.q.replace(/[%_\\]/g, "")}%`) : undefined,
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
  const items = rows.slice(0, query.limit);
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
    .select({ ...listColumns, input: instances.input, context: instances.context, error: instances.error, finishedAt: instances.finishedAt, dueAt: instances.dueAt, pausedFromStatus: instances.pausedFromStatus, steps: workflowDefinitions.steps })
    .from(instances)
    .innerJoin(workflowDefinitions, eq(workflowDefinitions.id, instances.definitionId))
    .where(eq(instances.id, id));
  if (!row) throw notFound("Instance");
  const { steps: definitionSteps, ...instance } = row;
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
