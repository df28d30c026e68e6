"use server";

import { revalidatePath } from "next/cache";
import { actorOf } from "@/lib/auth/permissions";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { cancelInstance } from "@/lib/instances/cancel-instance";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { retryInstance } from "@/lib/instances/retry-instance";

export async function pauseAction(instanceId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:pause", formData, async ({ db, user, form }) => {
    const paused = await pauseInstance(db, { instanceId, reason: form.reason, mode: form.mode, resumeAt: form.resumeAt || undefined, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user));
    return paused.pauseMode === "immediate" ? "Instance paused; in-flight steps were interrupted" : "Instance paused";
  });
  if (state.status === "success") revalidatePath(`/instances/${instanceId}`);
  return state;
}

export async function resumeAction(instanceId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:resume", formData, async ({ db, user, form }) => {
    await resumeInstance(db, { instanceId, reason: form.reason, force: form.force === "on", category: form.category, ticketUrl: form.ticketUrl }, actorOf(user));
    return form.force === "on" ? "Instance force-resumed" : "Instance resumed";
  });
  if (state.status === "success") revalidatePath(`/instances/${instanceId}`);
  return state;
}

export async function cancelAction(instanceId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:cancel", formData, async ({ db, user, form }) => {
    await cancelInstance(db, { instanceId, reason: form.reason }, actorOf(user));
    return "Instance cancelled";
  });
  if (state.status === "success") revalidatePath(`/instances/${instanceId}`);
  return state;
}

export async function retryAction(instanceId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("instances:retry", formData, async ({ db, user, form }) => {
    await retryInstance(db, { instanceId, reason: form.reason, category: form.category, ticketUrl: form.ticketUrl }, actorOf(user));
    return "Instance retried: its failed step runs again";
  });
  if (state.status === "success") revalidatePath(`/instances/${instanceId}`);
  return state;
}
