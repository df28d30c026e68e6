"use client";

import { useEffect, useRef, useState, useTransition } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Field, Input, Select, Textarea } from "@/components/ui/field";
import { useFormAction } from "@/components/use-form-action";
import { idle } from "@/lib/action-state";
import { reasonCategories } from "@/lib/domain";
import { previewWindowAction, saveWindowAction } from "./actions";

/** What the form starts from: blank for a new window, the window's fields for an edit. */
export type WindowFormValues = {
  windowId?: string;
  expectedVersion?: number;
  title: string;
  workflowKeys: string[];
  /** The instance filter's input search and id prefix; both "" for a window over whole workflows. */
  filterInput: string;
  filterQ: string;
  reason: string;
  category: string;
  kind: "once" | "recurring";
  startsAt: string;
  endsAt: string;
  cron: string;
  timezone: string;
  durationMinutes: string;
};

/**
 * Schedule (or edit) a maintenance window. Fields are uncontrolled and the action is dispatched
 * from onSubmit (useFormAction), so a refused form keeps everything typed, with each field's
 * problem under it; only the once/recurring choice is state, to show the matching fields.
 */
export function WindowForm({ workflows, initial }: { workflows: { key: string; name: string }[]; initial: WindowFormValues }) {
  const form = useRef<HTMLFormElement>(null);
  const [kind, setKind] = useState(initial.kind);
  const [state, onSubmit, pending] = useFormAction(async (prev: typeof idle, formData: FormData) => {
    const next = await saveWindowAction(prev, formData);
    if (next.status === "success") {
      toast.success(next.message);
      if (!initial.windowId) form.current?.reset();
      setPreview(null);
    }
    return next;
  }, idle);
  useEffect(() => {
    if (state.status === "error" && !state.fields) toast.error(state.message);
  }, [state]);
  const errors = (name: string) => (state.status === "error" ? state.fields?.[name] : undefined);
  const described = (name: string) => ({ "aria-invalid": !!errors(name), "aria-describedby": `window-${name}-error` });
  // The filter's errors are keyed by the schema's path (instanceFilter.input); an unknown key or
  // a wrong shape lands on instanceFilter itself and is shown under the input search.
  // A preview that accepted the filter clears the filter's errors of the last submit (until the next one).
  const [filterCheckedAt, setFilterCheckedAt] = useState<number | undefined>();
  const filterErrors = (field: "input" | "q") =>
    state.at !== undefined && state.at === filterCheckedAt ? [] : [...(errors(`instanceFilter.${field}`) ?? []), ...((field === "input" && errors("instanceFilter")) || [])];
  const filterDescribed = (id: string, field: "input" | "q") => ({ "aria-invalid": filterErrors(field).length > 0, "aria-describedby": `${id}-hint ${id}-error` });
  const [preview, setPreview] = useState<{ text: string; error: boolean } | null>(null);
  const [previewing, startPreview] = useTransition();
  const askPreview = () =>
    startPreview(async () => {
      if (!form.current) return;
      const answer = await previewWindowAction(new FormData(form.current));
      const fields = answer.status === "error" && answer.fields ? Object.values(answer.fields).flat().join(" ") : "";
      setPreview({ text: answer.status === "success" ? (answer.message ?? "") : fields || (answer.message ?? "Could not count"), error: answer.status !== "success" });
      if (answer.status === "success") setFilterCheckedAt(state.at);
    });

  return (
    <form ref={form} onSubmit={onSubmit} noValidate aria-label={initial.windowId ? "Edit maintenance window" : "Schedule a maintenance window"} className="space-y-3">
      {initial.windowId && <input type="hidden" name="windowId" value={initial.windowId} />}
      {initial.expectedVersion && <input type="hidden" name="expectedVersion" value={initial.expectedVersion} />}
      <Field id="window-title" label="Title" errors={errors("title")}>
        <Input id="window-title" name="title" defaultValue={initial.title} maxLength={200} {...described("title")} />
      </Field>
      <fieldset aria-describedby="window-workflowKeys-error" className="space-y-1">
        <legend className="text-sm font-medium">Workflows</legend>
        <div className="flex flex-wrap gap-x-4 gap-y-1">
          {workflows.map((w) => (
            <label key={w.key} className="inline-flex items-center gap-1.5 text-sm">
              <input type="checkbox" name="workflowKeys" value={w.key} defaultChecked={initial.workflowKeys.includes(w.key)} />
              {w.name} <code className="font-mono text-xs text-slate-500">{w.key}</code>
            </label>
          ))}
        </div>
        <p id="window-workflowKeys-error" aria-live="polite" className="text-sm text-red-700">
          {errors("workflowKeys")?.join(" ")}
        </p>
      </fieldset>
      <fieldset className="space-y-2 rounded-md border border-slate-200 p-3">
        <legend className="px-1 text-sm font-medium">Only some instances (optional)</legend>
        <p className="text-xs text-slate-600">
          Leave both empty to pause the whole workflows. With a filter, the workflows keep running: the window holds only their running and waiting instances that match, and new
          starts that match.
        </p>
        <div className="grid gap-3 sm:grid-cols-2">
          <Field id="window-filterInput" label="Input search" errors={filterErrors("input")} hint="field=value, comma-separated, e.g. region=eu, tier=gold">
            <Input id="window-filterInput" name="filterInput" defaultValue={initial.filterInput} maxLength={200} className="font-mono" {...filterDescribed("window-filterInput", "input")} />
          </Field>
          <Field id="window-filterQ" label="Instance id starts with" errors={filterErrors("q")} hint="An id prefix, e.g. 4f2a9c1e">
            <Input id="window-filterQ" name="filterQ" defaultValue={initial.filterQ} maxLength={100} className="font-mono" {...filterDescribed("window-filterQ", "q")} />
          </Field>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="button" variant="secondary" onClick={askPreview} disabled={previewing}>
            {previewing ? "Counting…" : "Preview matches"}
          </Button>
          <p role="status" aria-live="polite" className={preview?.error ? "text-sm text-red-700" : "text-sm text-slate-700"}>
            {preview?.text}
          </p>
        </div>
      </fieldset>
      <Field id="window-reason" label="Reason" errors={errors("reason")}>
        <Textarea id="window-reason" name="reason" rows={2} defaultValue={initial.reason} {...described("reason")} />
      </Field>
      <Field id="window-category" label="Category" errors={errors("category")}>
        <Select id="window-category" name="category" defaultValue={initial.category} {...described("category")}>
          {reasonCategories.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </Select>
      </Field>
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium">When</legend>
        <div className="flex flex-wrap gap-4 text-sm">
          <label className="inline-flex items-center gap-1.5">
            <input type="radio" name="kind" value="once" checked={kind === "once"} onChange={() => setKind("once")} /> Once
          </label>
          <label className="inline-flex items-center gap-1.5">
            <input type="radio" name="kind" value="recurring" checked={kind === "recurring"} onChange={() => setKind("recurring")} /> Recurring (cron)
          </label>
        </div>
      </fieldset>
      {kind === "once" ? (
        <div className="grid gap-3 sm:grid-cols-2">
          <Field id="window-startsAt" label="Starts (UTC)" errors={errors("startsAt")}>
            <Input id="window-startsAt" name="startsAt" type="datetime-local" defaultValue={initial.startsAt} {...described("startsAt")} />
          </Field>
          <Field id="window-endsAt" label="Ends (UTC)" errors={errors("endsAt")}>
            <Input id="window-endsAt" name="endsAt" type="datetime-local" defaultValue={initial.endsAt} {...described("endsAt")} />
          </Field>
        </div>
      ) : (
        <div className="grid gap-3 sm:grid-cols-3">
          <Field id="window-cron" label="Cron expression" errors={errors("cron")} hint="Minute hour day month weekday, e.g. 0 2 * * * (02:00 nightly)">
            <Input id="window-cron" name="cron" defaultValue={initial.cron} className="font-mono" {...described("cron")} />
          </Field>
          <Field id="window-timezone" label="Time zone" errors={errors("timezone")} hint="IANA name, e.g. Europe/Berlin">
            <Input id="window-timezone" name="timezone" defaultValue={initial.timezone} {...described("timezone")} />
          </Field>
          <Field id="window-durationMinutes" label="Lasts (minutes)" errors={errors("durationMinutes")}>
            <Input id="window-durationMinutes" name="durationMinutes" type="number" min={1} defaultValue={initial.durationMinutes} {...described("durationMinutes")} />
          </Field>
        </div>
      )}
      <Button type="submit" disabled={pending}>
        {pending ? "Saving…" : initial.windowId ? "Save window" : "Schedule window"}
      </Button>
    </form>
  );
}
