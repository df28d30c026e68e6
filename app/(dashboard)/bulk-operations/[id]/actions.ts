"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { actorOf } from "@/lib/auth/permissions";
import { cancelBulkOperation } from "@/lib/bulk-operations/cancel";

/**
 * Cancels a running bulk operation (`id` bound by the page). The role is checked against the
 * operation's own action in the use case; reading instances is the floor to get there.
 */
export async function cancelBulkOperationAction(id: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:read", formData, async ({ db, user, form }) => {
    const cancelled = await cancelBulkOperation(db, id, { reason: form.reason }, user, actorOf(user));
    return `Cancelled: ${cancelled.matched.toLocaleString("en")} matched; what was already done stays done`;
  });
  revalidatePath(`/bulk-operations/${id}`);
  return state;
}
