"use server";

import { revalidatePath } from "next/cache";
import { actorOf } from "@/lib/auth/permissions";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { escalatePause } from "@/lib/instances/pause-instance";

/** "Pause immediately" on a draining instance: the same permission as a pause. */
export async function escalatePauseAction(instanceId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:pause", formData, async ({ db, user, form }) => {
    await escalatePause(db, { instanceId, reason: form.reason, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user));
    return "Paused immediately: the running steps were interrupted";
  });
  if (state.status === "success") revalidatePath(`/instances/${instanceId}`);
  return state;
}
