"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { COVERED_COUNT_CAP } from "@/lib/maintenance/window-filter";
import { actorOf } from "@/lib/auth/permissions";
import { cancelWindow, createWindow, editWindow, endWindowEarly, previewWindow } from "@/lib/maintenance/windows";

/**
 * The form's instance filter: set when either of its fields has text (the use case's schema then
 * judges both, and names the field), absent when both are blank (the window pauses whole workflows).
 */
function filterOf(form: Record<string, string>) {
  return form.filterInput?.trim() || form.filterQ?.trim() ? { input: form.filterInput ?? "", q: form.filterQ ?? "" } : undefined;
}

/** The form's fields as the use case's input: once (start, end) or recurring (cron, zone, minutes), by the chosen kind. */
function windowInput(form: Record<string, string>, formData: FormData) {
  const common = { title: form.title, workflowKeys: formData.getAll("workflowKeys").filter((v) => typeof v === "string"), instanceFilter: filterOf(form), reason: form.reason, category: form.category };
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

/**
 * "Preview: N instances match now": how many running or waiting instances the form's workflows
 * and instance filter cover at this moment (what the window would pause if it started now).
 * A read, but offered only beside the form, so it asks the form's permission.
 */
export async function previewWindowAction(formData: FormData): Promise<ActionState> {
  return runAction("windows:manage", formData, async ({ db, form }) => {
    const n = await previewWindow(db, { workflowKeys: formData.getAll("workflowKeys").filter((v) => typeof v === "string"), instanceFilter: filterOf(form) });
    return `Preview: ${n > COVERED_COUNT_CAP ? `${COVERED_COUNT_CAP.toLocaleString("en")}+ instances match` : n === 1 ? "1 instance matches" : `${n.toLocaleString("en")} instances match`} now`;
  });
}
