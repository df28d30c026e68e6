"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { actorOf } from "@/lib/auth/permissions";
import { bulkPause, bulkResume, describeBulk, type BulkSummary } from "@/lib/instances/bulk";

/** A bulk command's answer: the one-line summary as `message`, and every instance's result, to keep on screen. */
export type BulkActionState = ActionState & { summary?: BulkSummary };

const withSummary = (state: ActionState, summary: BulkSummary | undefined): BulkActionState => {
  revalidatePath("/instances");
  if (state.status !== "success" || !summary) return state;
  return { ...state, summary, tone: summary.failed ? "warning" : "success" };
};

export async function bulkPauseAction(instanceIds: string[], _prev: ActionState, formData: FormData): Promise<BulkActionState> {
  let summary: BulkSummary | undefined;
  const state = await runAction("instances:pause", formData, async ({ db, user, form }) => {
    summary = await bulkPause(db, { instanceIds, reason: form.reason, mode: form.mode, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user));
    return describeBulk("Paused", summary);
  });
  return withSummary(state, summary);
}

/** `force=on` in the form skips each instance's resume condition (it then needs a reason). */
export async function bulkResumeAction(instanceIds: string[], _prev: ActionState, formData: FormData): Promise<BulkActionState> {
  let summary: BulkSummary | undefined;
  const state = await runAction("instances:resume", formData, async ({ db, user, form }) => {
    const force = form.force === "on";
    summary = await bulkResume(db, { instanceIds, reason: form.reason, force, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user));
    return describeBulk(force ? "Force-resumed" : "Resumed", summary);
  });
  return withSummary(state, summary);
}
