"use client";

import { useActionState } from "react";
import { ActionButton, ActionResult } from "@/components/action-button";
import { ConfirmActionButton } from "@/components/confirm-action-button";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { idle, type ActionState } from "@/lib/action-state";
import { eventTypes } from "@/lib/domain";
import { createWebhookAction, deleteWebhookAction, replayDeliveryAction, rotateSecretAction, setWebhookActiveAction, updateWebhookAction } from "./actions";

function EventTypeChoices({ idPrefix, chosen, errors }: { idPrefix: string; chosen: string[]; errors?: string[] }) {
  return (
    <fieldset className="space-y-1.5" aria-describedby={`${idPrefix}-types-hint`}>
      <legend className="text-sm font-medium text-slate-800">Event types</legend>
      <p id={`${idPrefix}-types-hint`} className="text-xs text-slate-500">
        None chosen: every event.
      </p>
      <div className="grid gap-1 sm:grid-cols-2 lg:grid-cols-3">
        {eventTypes.map((type) => (
          <label key={type} className="flex items-center gap-2 font-mono text-xs">
            <input type="checkbox" name="eventTypes" value={type} defaultChecked={chosen.includes(type)} /> {type}
          </label>
        ))}
      </div>
      <div aria-live="polite">{errors?.map((e) => <p key={e} className="text-sm text-red-700">{e}</p>)}</div>
    </fieldset>
  );
}

const fieldErrors = (state: ActionState) => (state.status === "error" ? (state.fields ?? {}) : {});
const typeErrors = (f: Record<string, string[]>) => Object.entries(f).flatMap(([k, v]) => (k.startsWith("eventTypes") ? v : []));

/** Creates a subscription and shows its signing secret once. */
export function CreateWebhookForm() {
  const [state, action, pending] = useActionState(createWebhookAction, idle);
  const f = fieldErrors(state);
  return (
    <form key={state.status === "success" ? state.at : "form"} action={action} aria-label="Create a webhook" className="space-y-3" noValidate>
      <div className="grid gap-3 md:grid-cols-2">
        <Field id="webhook-url" label="URL" errors={f.url}>
          <Input id="webhook-url" name="url" type="url" placeholder="https://hooks.example.com/flowgate" defaultValue={state.status === "error" ? state.values?.url : ""} aria-invalid={!!f.url} />
        </Field>
        <Field id="webhook-description" label="Description" errors={f.description}>
          <Input id="webhook-description" name="description" defaultValue={state.status === "error" ? state.values?.description : ""} aria-invalid={!!f.description} />
        </Field>
      </div>
      <EventTypeChoices idPrefix="new" chosen={[]} errors={typeErrors(f)} />
      <Button type="submit" disabled={pending}>
        Create webhook
      </Button>
      {state.status === "success" && (
        <p role="status" className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">
          Created. Its signing secret, shown only now: <code className="select-all break-all rounded bg-white px-1 font-mono" aria-label="Signing secret">{state.message}</code>
        </p>
      )}
      {state.status === "error" && !state.fields && <p role="alert" className="text-sm text-red-700">{state.message}</p>}
    </form>
  );
}

export function EditWebhookForm({ id, url, description, chosen }: { id: string; url: string; description: string; chosen: string[] }) {
  const [state, action, pending] = useActionState(updateWebhookAction.bind(null, id), idle);
  const f = fieldErrors(state);
  return (
    <form action={action} aria-label="Edit the webhook" className="space-y-3" noValidate>
      <div className="grid gap-3 md:grid-cols-2">
        <Field id="edit-url" label="URL" errors={f.url}>
          <Input id="edit-url" name="url" type="url" defaultValue={url} aria-invalid={!!f.url} />
        </Field>
        <Field id="edit-description" label="Description" errors={f.description}>
          <Input id="edit-description" name="description" defaultValue={description} aria-invalid={!!f.description} />
        </Field>
      </div>
      <EventTypeChoices idPrefix="edit" chosen={chosen} errors={typeErrors(f)} />
      <Button type="submit" disabled={pending}>
        Save changes
      </Button>
      <ActionResult state={state} />
    </form>
  );
}



export const ToggleWebhook = ({ id, url, active }: { id: string; url: string; active: boolean }) => (
  <ActionButton act={setWebhookActiveAction.bind(null, id, !active)} label={active ? "Disable" : "Enable"} name={`${active ? "Disable" : "Enable"} ${url}`} />
);

// Deleting drops the subscription's deliveries and their log too: ask first.
export const DeleteWebhook = ({ id, url }: { id: string; url: string }) => (
  <ConfirmActionButton act={deleteWebhookAction.bind(null, id)} label="Delete" name={`Delete ${url}`} question={`Delete this webhook, its deliveries and their log?`} />
);

export const ReplayDelivery = ({ subscriptionId, deliveryId, webhookId }: { subscriptionId: string; deliveryId: string; webhookId: string }) => (
  <ActionButton act={replayDeliveryAction.bind(null, subscriptionId, deliveryId)} label="Replay" name={`Replay ${webhookId}`} />
);

/**
 * Rotates the signing secret and shows the new one once. The old one keeps signing for the chosen
 * overlap (deliveries carry both signatures), so receivers can switch without a failed delivery.
 */
export function RotateSecretForm({ id, previousValidUntil }: { id: string; previousValidUntil: string | null }) {
  const [state, action, pending] = useActionState(rotateSecretAction.bind(null, id), idle);
  return (
    <form action={action} aria-label="Rotate the signing secret" className="space-y-3" noValidate>
      <p className="text-sm text-slate-600">
        A new secret signs every delivery from now on. During the overlap the old one signs too, so a receiver still using it keeps verifying.
        {previousValidUntil && ` The previous secret signs until ${previousValidUntil}.`}
      </p>
      <div className="flex flex-wrap items-end gap-3">
        <Field id="rotate-overlap" label="Old secret keeps signing for">
          <Select id="rotate-overlap" name="overlap" defaultValue="24h">
            <option value="0">No overlap</option>
            <option value="1h">1 hour</option>
            <option value="24h">1 day</option>
            <option value="7d">7 days</option>
          </Select>
        </Field>
        <Button type="submit" variant="secondary" disabled={pending}>
          Rotate secret
        </Button>
      </div>
      {state.status === "success" && (
        <p role="status" className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">
          Rotated. The new signing secret, shown only now: <code className="select-all break-all rounded bg-white px-1 font-mono" aria-label="New signing secret">{state.message}</code>
        </p>
      )}
      {state.status === "error" && <p role="alert" className="text-sm text-red-700">{state.message}</p>}
    </form>
  );
}
