import "server-only";
import { and, inArray, sql, type SQL } from "drizzle-orm";
import { instances, type BulkAction, type BulkFilter, type Instance } from "@/db/schema";
import { statusesAllowing } from "@/lib/state-machine";
import { instanceListFilter } from "./list-filter";
import { listFilterWhere } from "./list-filter-where";

/**
 * The instance list's filter as a bulk operation takes it: `status` (any status or `all`),
 * `workflow` (a workflow key), `q` (an id prefix), `input` (an input search). The list's own
 * schema (lib/instances/list-filter.ts `instanceListFilter`) without its sort, so "pause all
 * matching" acts on exactly the rows the list shows; unknown keys are refused.
 */
export const bulkFilterSchema = instanceListFilter.pick({ status: true, workflow: true, q: true, input: true }).strict();

/**
 * What a filter matches, whatever the action: the list's own WHERE (`listFilterWhere`). A stored
 * filter is parsed again, as saved views are: one the boundary would refuse today matches nothing.
 */
export function filterWhere(filter: BulkFilter): SQL | undefined {
  const parsed = bulkFilterSchema.safeParse(filter);
  if (!parsed.success) return sql`false`;
  return and(...listFilterWhere(parsed.data));
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
