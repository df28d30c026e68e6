"use client";

import { Bookmark, Pencil, Trash2, Users } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { useFormAction } from "@/components/use-form-action";
import { idle, type ActionState } from "@/lib/action-state";
import type { ListFilters } from "@/lib/instances/list-filter";
import type { SavedViewItem } from "@/lib/instances/saved-views";
import { deleteViewAction, renameViewAction, saveViewAction } from "./view-actions";

type Action = (prev: ActionState, formData: FormData) => Promise<ActionState>;

/** useFormAction that toasts and closes its dialog on success; what was typed stays on an error. */
function useDialogAction(action: Action, close: () => void) {
  return useFormAction(async (prev: ActionState, formData: FormData) => {
    const next = await action(prev, formData);
    if (next.status === "success") {
      toast.success(next.message);
      close();
    }
    return next;
  }, idle);
}

const errorsOf = (state: ActionState, field: string) => (state.status === "error" ? state.fields?.[field] : undefined);
const formError = (state: ActionState, fields: string[]) => (state.status === "error" && !fields.some((f) => state.fields?.[f]) ? state.message : undefined);

/**
 * The saved views beside the list's tabs: each opens its filter and sort; the user's own can be
 * renamed and deleted, and a shared one of someone else's deleted by an admin (`canDeleteShared`;
 * the server decides regardless). "Save view" names the list's current state.
 */
export function SavedViews({ views, current, activeQuery, canDeleteShared }: { views: SavedViewItem[]; current: ListFilters; activeQuery: string; canDeleteShared: boolean }) {
  return (
    <nav aria-label="Saved views" className="flex flex-wrap items-center gap-2">
      <span className="text-xs font-medium text-slate-600">Saved views</span>
      {views.length === 0 && <span className="text-xs text-slate-500">none yet</span>}
      <ul className="contents">
        {views.map((v) => (
          <li key={v.id} className="inline-flex items-center rounded-full border border-slate-300 bg-white pl-3 pr-1 text-sm">
            <Link href={`/instances${v.query ? `?${v.query}` : ""}`} aria-current={v.query === activeQuery ? "page" : undefined} className="inline-flex items-center gap-1 py-1 font-medium text-slate-800 underline-offset-2 hover:underline aria-[current=page]:text-indigo-700 dark:aria-[current=page]:text-indigo-300">
              {v.shared ? <Users className="size-3.5" aria-label="Shared" /> : <Bookmark className="size-3.5" aria-hidden />}
              {v.name}
              {!v.mine && <span className="text-xs font-normal text-slate-500">by {v.ownerLabel}</span>}
            </Link>
            {v.mine && <RenameView view={v} />}
            {(v.mine || (v.shared && canDeleteShared)) && <DeleteView view={v} />}
          </li>
        ))}
      </ul>
      <SaveView current={current} />
    </nav>
  );
}

function SaveView({ current }: { current: ListFilters }) {
  const [open, setOpen] = useState(false);
  const [state, onSubmit, pending] = useDialogAction(saveViewAction, () => setOpen(false));
  const values = state.status === "error" ? state.values : undefined;
  return (
    <Dialog open={open} onOpenChange={setOpen} title="Save this view" description="Give the list's current filter and sort a name, to open it again in one click." trigger={<Button variant="secondary" size="sm">Save view</Button>}>
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        {(["status", "workflow", "q", "input", "sort"] as const).map((k) => (
          <input key={k} type="hidden" name={k} value={current[k]} />
        ))}
        <Field id="view-name" label="Name" errors={errorsOf(state, "name")}>
          <Input id="view-name" name="name" required maxLength={60} defaultValue={values?.name} aria-invalid={!!errorsOf(state, "name")} aria-describedby="view-name-error" />
        </Field>
        <label className="flex items-center gap-2 text-sm text-slate-800">
          <input type="checkbox" name="shared" defaultChecked={values?.shared === "on"} /> Share with the team (everyone who reads instances sees it)
        </label>
        {formError(state, ["name"]) && <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">{formError(state, ["name"])}</p>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setOpen(false)}>Close</Button>
          <Button type="submit" disabled={pending}>{pending ? "Saving…" : "Save view"}</Button>
        </div>
      </form>
    </Dialog>
  );
}

function RenameView({ view }: { view: SavedViewItem }) {
  const [open, setOpen] = useState(false);
  const [state, onSubmit, pending] = useDialogAction(renameViewAction.bind(null, view.id), () => setOpen(false));
  const values = state.status === "error" ? state.values : undefined;
  return (
    <Dialog open={open} onOpenChange={setOpen} title={`Rename "${view.name}"`} description="Only you can rename your views." trigger={<button type="button" aria-label={`Rename view ${view.name}`} className="rounded-full p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-800"><Pencil className="size-3.5" aria-hidden /></button>}>
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        <input type="hidden" name="version" value={view.version} />
        <Field id={`rename-${view.id}`} label="Name" errors={errorsOf(state, "name")}>
          <Input id={`rename-${view.id}`} name="name" required maxLength={60} defaultValue={values?.name ?? view.name} aria-invalid={!!errorsOf(state, "name")} aria-describedby={`rename-${view.id}-error`} />
        </Field>
        {formError(state, ["name"]) && <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">{formError(state, ["name"])}</p>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setOpen(false)}>Close</Button>
          <Button type="submit" disabled={pending}>{pending ? "Renaming…" : "Rename"}</Button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteView({ view }: { view: SavedViewItem }) {
  const [open, setOpen] = useState(false);
  const [state, onSubmit, pending] = useDialogAction(deleteViewAction.bind(null, view.id), () => setOpen(false));
  return (
    <Dialog open={open} onOpenChange={setOpen} title={`Delete "${view.name}"?`} description={view.shared ? "It is shared: it disappears for the whole team. The instances are not touched." : "The instances are not touched."} trigger={<button type="button" aria-label={`Delete view ${view.name}`} className="rounded-full p-1 text-slate-500 hover:bg-slate-100 hover:text-red-700"><Trash2 className="size-3.5" aria-hidden /></button>}>
      <form onSubmit={onSubmit} className="space-y-4">
        {state.status === "error" && <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">{state.message}</p>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setOpen(false)}>Keep it</Button>
          <Button type="submit" variant="danger" disabled={pending}>{pending ? "Deleting…" : "Delete view"}</Button>
        </div>
      </form>
    </Dialog>
  );
}
