import type { BulkAction, BulkFilter, BulkOperationState } from "@/lib/domain";

/**
 * A bulk operation's filter in words, as the confirm dialog, the operations list and an
 * operation's page say it: "running or waiting instances of Nightly ETL whose id starts with 4f2a
 * and whose input has customer=acme".
 * `workflowName` is the workflow's display name when known (else its key is used).
 */
export function describeBulkFilter(action: BulkAction, filter: BulkFilter, workflowName?: string): string {
  const which = action === "pause" ? (filter.status === "all" ? "running or waiting" : filter.status) : "paused";
  return `${which} instances${filter.workflow ? ` of ${workflowName ?? filter.workflow}` : " of every workflow"}${filter.q ? ` whose id starts with ${filter.q}` : ""}${filter.input ? `${filter.q ? " and" : ""} whose input has ${filter.input}` : ""}`;
}

/** The operation's state in words for its badge: "Running", "Completed", "Cancelled". */
export const bulkStateLabel: Record<BulkOperationState, string> = { running: "Running", completed: "Completed", cancelled: "Cancelled" };
