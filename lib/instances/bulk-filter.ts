import "server-only";
import { and, eq, inArray, type SQL } from "drizzle-orm";
import { z } from "zod";
import { instanceStatuses, instances, type BulkAction, type BulkFilter, type Instance, type InstanceStatus } from "@/db/schema";
import { statusesAllowing } from "@/lib/state-machine";
import { optionalText } from "@/lib/text";
import { idPrefix } from "./queries";

/**
 * The instance list's filter as a bulk operation takes it: `status` (any status or `all`),
 * `workflow` (a workflow key), `q` (an id prefix). The same fields and meaning as
 * `listInstancesQuery` (lib/instances/queries.ts).
 *
 * The seam: this module is the one place a bulk operation learns what a filter means. When the
 * list's filter parsing moves into its own module (lib/instances/list-filter.ts), point
 * `bulkFilterSchema` and `filterWhere` at it and nothing else changes.
 */
export const bulkFilterSchema = z
  .object({
    status: z.enum([...instanceStatuses, "all"]).default("all"),
    workflow: optionalText({ label: "Workflow", max: 100 }),
    q: optionalText({ label: "Search text", max: 100 }),
  })
  .strict();

/** What a filter matches, whatever the action: status, workflow, id prefix. */
export function filterWhere(filter: BulkFilter): SQL | undefined {
  return and(
    filter.status === "all" ? undefined : eq(instances.status, filter.status as InstanceStatus),
    filter.workflow ? eq(instances.workflowKey, filter.workflow) : undefined,
    filter.q ? idPrefix(filter.q) : undefined,
  );
}

/**
 * The instances a bulk `action` would act on: the filter's matches that the state machine lets
 * the action move (pause: running or waiting; resume: paused). An ended instance is never a target.
 */
export function targetWhere(action: BulkAction, filter: BulkFilter): SQL | undefined {
  return and(filterWhere(filter), inArray(instances.status, statusesAllowing(action)));
}

/**
 * Re-checked under the instance's row lock, just before acting: does the instance still match the
 * filter's status and workflow (its id cannot change)? Null when it does; otherwise why not, for
 * the operator ("it is now waiting"). The state machine's own refusal, when the action is no
 * longer legal, is left to the command, which says who acted first.
 */
export function stillMatches(filter: BulkFilter, instance: Pick<Instance, "status" | "workflowKey">): string | null {
  if (filter.workflow && instance.workflowKey !== filter.workflow) return `No longer matches the filter: it belongs to ${instance.workflowKey}`;
  if (filter.status !== "all" && instance.status !== filter.status) return `No longer matches the filter: it is now ${instance.status}`;
  return null;
}
