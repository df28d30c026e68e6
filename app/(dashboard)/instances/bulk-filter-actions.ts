"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { actorOf } from "@/lib/auth/permissions";
import { startBulkOperation } from "@/lib/bulk-operations/start";
import type { BulkAction, BulkFilter } from "@/lib/domain";

/** A started operation's id, for the page to follow it. */
export type BulkStartState = ActionState & { operationId?: string };

/**
 * Starts a bulk pause or resume of every instance the list's filter matches (the worker runs it).
 * `action` and `filter` are bound by the list; the form carries reason, mode, category, ticket and
 * `force=on`. The use case validates all of it (the filter too: it came from the URL).
 */
export async function startBulkByFilterAction(action: BulkAction, filter: BulkFilter, _prev: ActionState, formData: FormData): Promise<BulkStartState> {
  let operationId: string | undefined;
  const state = await runAction(action === "pause" ? "instances:pause" : "instances:resume", formData, async ({ db, user, form }) => {
    const started = await startBulkOperation(
      db,
      action,
      { filter, reason: form.reason, mode: form.mode, force: form.force === "on", category: form.category, ticketUrl: form.ticketUrl },
      actorOf(user),
    );
    operationId = started.id;
    return `${action === "pause" ? "Pausing" : "Resuming"} ${started.matched.toLocaleString("en")} instances: follow the operation`;
  });
  if (operationId) revalidatePath("/bulk-operations");
  return { ...state, operationId };
}
