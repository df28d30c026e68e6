"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { actorOf } from "@/lib/auth/permissions";
import { bulkPause, bulkResume, describeBulk } from "@/lib/instances/bulk";

export async function bulkPauseAction(instanceIds: string[], _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:pause", formData, async ({ db, user, form }) =>
    describeBulk("Paused", await bulkPause(db, { instanceIds, reason: form.reason, mode: form.mode, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user))),
  );
  revalidatePath("/instances");
  return state;
}

export async function bulkResumeAction(instanceIds: string[], _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:resume", formData, async ({ db, user, form }) =>
    describeBulk("Resumed", await bulkResume(db, { instanceIds, reason: form.reason, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user))),
  );
  revalidatePath("/instances");
  return state;
}
