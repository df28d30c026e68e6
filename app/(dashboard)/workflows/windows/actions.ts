"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { actorOf } from "@/lib/auth/permissions";
import { cancelWindow, createWindow, editWindow, endWindowEarly } from "@/lib/maintenance/windows";

/** The form's fields as the use case's input: once (start, end) or recurring (cron, zone, minutes), by the chosen kind. */
function windowInput(form: Record<string, string>, formData: FormData) {
  const common = { title: form.title, workflowKeys: formData.getAll("workflowKeys").filter((v) => typeof v === "string"), reason: form.reason, category: form.category };
  return form.kind === "recurring"
    ? { ...common, cron: form.cron, timezone: form.timezone, durationMinutes: form.durationMinutes }
    : { ...common, startsAt: form.startsAt, endsAt: form.endsAt };
}

/** Schedules a window, or restates the one named by the form's `windowId`. */
export async function saveWindowAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("windows:manage", formData, async ({ db, user, form }) => {
    const input = windowInput(form, formData);
    if (form.windowId) {
      const w = await editWindow(db, { ...input, windowId: form.windowId, expectedVersion: form.expectedVersion }, actorOf(user));
      return `Saved "${w.title}"`;
    }
    const w = await createWindow(db, input, actorOf(user));
    return `Scheduled "${w.title}"`;
  });
  if (state.status === "success") revalidatePath("/workflows/windows");
  return state;
}

export async function endWindowAction(windowId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("windows:manage", formData, async ({ db, user, form }) => {
    const w = await endWindowEarly(db, { windowId, reason: form.reason }, actorOf(user));
    return `Ended "${w.title}": its workflows and instances resume`;
  });
  if (state.status === "success") revalidatePath("/workflows/windows");
  return state;
}

export async function cancelWindowAction(windowId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("windows:manage", formData, async ({ db, user, form }) => {
    const w = await cancelWindow(db, { windowId, reason: form.reason }, actorOf(user));
    return `Cancelled "${w.title}"`;
  });
  if (state.status === "success") revalidatePath("/workflows/windows");
  return state;
}
