import "server-only";
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { instances, workflowDefinitions, type Actor, type Instance } from "@/db/schema";
import { invalid, notFound } from "@/lib/errors";
import { parseInput, type Untrusted } from "@/lib/validate";
import { queueStart } from "@/lib/workflows/queued-starts";
import type { RegisteredWorkflow } from "@/lib/workflows/sdk";
import { effectiveStartPolicy } from "@/lib/workflows/start-policy";
import { pausedStartRefusal, workflowPauseForStart } from "@/lib/workflows/workflow-pauses";
import { startInputSchema, type StartInput } from "./inputs";
import { beginInstance } from "./lifecycle/begin";

/**
 * `catalog`: the workflows the caller's process has code for (workflows/catalog.ts in the app and
 * the seed, the worker's loaded catalog, a test's own). The use case does not import it: the
 * catalog is user code above lib/, handed down by whoever composes the process.
 */
export type StartOptions = { catalog: RegisteredWorkflow[] };

/**
 * Starts an instance of the newest registered version of a workflow this deployment has code
 * for, with input checked against the workflow's own zod schema. One transaction: the instance
 * (stored pending, then started: running), its root steps queued (or gated, or checkpointed),
 * history `started`, the event, and a NOTIFY that wakes a worker to claim the first step
 * (lifecycle/begin.ts). While the workflow is paused (lib/workflows/workflow-pauses.ts) its start
 * policy decides (lib/workflows/start-policy.ts): refused (409), or queued: returned `pending`
 * with `queuedAt`, to start when the pause ends. Errors: 400 (`invalid`, the field named) for a
 * bad request or input, 404 for a workflow neither in `catalog` nor registered, 409 while the
 * workflow is paused under the `refuse` policy.
 */
export async function startInstance(db: Db, raw: StartInput | Untrusted, actor: Actor, { catalog }: StartOptions): Promise<Instance> {
  const request = parseInput(startInputSchema, raw);
  const versions = catalog.filter((w) => w.key === request.workflow);
  if (!versions.length) throw notFound("Workflow");
  const [definition] = await db
    .select()
    .from(workflowDefinitions)
    .where(and(eq(workflowDefinitions.key, request.workflow), inArray(workflowDefinitions.version, versions.map((w) => w.version))))
    .orderBy(desc(workflowDefinitions.version))
    .limit(1);
  // Not registered yet: the worker registers the catalog when it starts.
  if (!definition) throw notFound("Workflow");
  const workflow = versions.find((w) => w.version === definition.version)!;

  const parsed = workflow.parseInput(request.input);
  if (!parsed.ok) {
    const fields: Record<string, string[]> = {};
    for (const issue of parsed.issues) (fields[["input", ...issue.path.map(String)].join(".")] ??= []).push(issue.message);
    throw invalid(Object.values(fields)[0]?.[0] ?? "Invalid input", fields);
  }
  const value = parsed.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("The input must be a JSON object", { input: ["The input must be a JSON object"] });
  }

  return db.transaction(async (tx) => {
    const input = value as Record<string, unknown>;
    const dueAt = workflow.timeoutMs ? new Date(Date.now() + workflow.timeoutMs) : null;
    const pause = await workflowPauseForStart(tx, definition.key, definition.id);
    if (pause) {
      // While the workflow is paused its policy decides: refuse (409), or queue until the pause ends.
      const policy = await effectiveStartPolicy(tx, definition.key, workflow.whenPaused);
      if (policy.policy === "refuse") throw pausedStartRefusal(definition.key, pause);
      return queueStart(tx, { definitionId: definition.id, workflowKey: definition.key, version: definition.version, input, dueAt }, actor, pause, policy.queueTtlSeconds);
    }
    // Stored as `pending` (the column's default), then started: the state machine decides from
    // the status the row really has, and the table's `pending` is a status that is stored.
    const [created] = await tx
      .insert(instances)
      .values({ definitionId: definition.id, workflowKey: definition.key, input, startedById: actor.id, startedByLabel: actor.label, dueAt })
      .returning();
    // Nobody else can see the new row before commit, so this transaction holds it as exclusively
    // as FOR UPDATE would: a root gate or checkpoint may change its status right away.
    return beginInstance(tx, created!, definition.steps, actor, { version: definition.version });
  });
}
