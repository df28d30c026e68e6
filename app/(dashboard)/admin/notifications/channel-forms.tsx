"use client";

import { useEffect, useRef } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { useFormAction } from "@/components/use-form-action";
import { idle } from "@/lib/action-state";
import { ActionButton, ActionResult } from "@/components/action-button";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { notificationKindLabels, notificationKinds } from "@/lib/domain";
import { createChannelAction, deleteChannelAction, setChannelActiveAction } from "./actions";

/** Adds a channel: a name, its incoming-webhook URL, the kinds it receives. Keeps the input when refused. */
export function CreateChannelForm() {
  const [state, onSubmit, pending] = useFormAction(createChannelAction, idle);
  const f = state.status === "error" ? (state.fields ?? {}) : {};
  const kindErrors = Object.entries(f).flatMap(([k, v]) => (k.startsWith("kinds") ? v : []));
  const form = useRef<HTMLFormElement>(null);
  // A channel added: a blank form for the next one (a refused one keeps what was typed).
  useEffect(() => {
    if (state.status === "success") form.current?.reset();
  }, [state]);
  return (
    <form ref={form} onSubmit={onSubmit} aria-label="Add a chat channel" className="space-y-3" noValidate>
      <div className="grid gap-3 md:grid-cols-2">
        <Field id="channel-name" label="Name" errors={f.name}>
          <Input id="channel-name" name="name" placeholder="#release-ops" aria-invalid={!!f.name} />
        </Field>
        <Field id="channel-url" label="Incoming webhook URL" errors={f.url}>
          <Input id="channel-url" name="url" type="url" placeholder="https://hooks.slack.com/services/…" aria-invalid={!!f.url} />
        </Field>
      </div>
      <fieldset className="space-y-1.5">
        <legend className="text-sm font-medium text-slate-800">Kinds it receives</legend>
        <div className="grid gap-1 sm:grid-cols-2 lg:grid-cols-4">
          {notificationKinds.map((kind) => (
            <label key={kind} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="kinds" value={kind} defaultChecked={kind === "instance_paused" || kind === "instance_resumed"} /> {notificationKindLabels[kind]}
            </label>
          ))}
        </div>
        <div aria-live="polite">{kindErrors.map((e) => <p key={e} className="text-sm text-red-700">{e}</p>)}</div>
      </fieldset>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" disabled={pending}>
          Add channel
        </Button>
        <ActionResult state={state} fieldsBeside />
      </div>
    </form>
  );
}



export const ToggleChannel = ({ id, name, active }: { id: string; name: string; active: boolean }) => (
  <ActionButton act={setChannelActiveAction.bind(null, id, !active)} label={active ? "Disable" : "Enable"} name={`${active ? "Disable" : "Enable"} ${name}`} />
);

export const DeleteChannel = ({ id, name }: { id: string; name: string }) => (
  <ConfirmActionButton act={deleteChannelAction.bind(null, id)} label="Delete" name={`Delete ${name}`} question={`Delete ${name} and its notification log?`} />
);
