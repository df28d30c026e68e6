"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { createSavedView, deleteSavedView, renameSavedView } from "@/lib/instances/saved-views";

/*
 * Saved views of the instance list: thin actions over lib/instances/saved-views.ts, which owns
 * the validation and who may change what. The form carries the list's state as hidden fields.
 */

const filterOf = (form: Record<string, string>) => ({ status: form.status || "all", workflow: form.workflow, q: form.q, input: form.input, sort: form.sort || "changed" });

export async function saveViewAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("views:save", formData, async ({ db, user, form }) => {
    const view = await createSavedView(db, user, { name: form.name, shared: form.shared, filter: filterOf(form) });
    return `Saved view "${view.name}"${view.shared ? ", shared with the team" : ""}`;
  });
  revalidatePath("/instances");
  return state;
}

export async function renameViewAction(id: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("views:save", formData, async ({ db, user, form }) => {
    const view = await renameSavedView(db, user, id, { name: form.name, version: form.version });
    return `Renamed the view to "${view.name}"`;
  });
  revalidatePath("/instances");
  return state;
}

export async function deleteViewAction(id: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("views:save", formData, async ({ db, user }) => `Deleted the view "${await deleteSavedView(db, user, id)}"`);
  revalidatePath("/instances");
  return state;
}
