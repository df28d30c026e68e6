"use client";

import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { useFormAction } from "@/components/use-form-action";
import { idle } from "@/lib/action-state";
import { personalNotificationKinds } from "@/lib/domain";
import { saveNotificationPreferencesAction } from "./actions";

/** Words for each kind a person may choose, in the order of personalNotificationKinds. */
export const kindLabels: Record<(typeof personalNotificationKinds)[number], string> = {
  gate_opened: "A gate I may decide opens",
  gate_delegated: "Someone passes their turn on a gate to me",
  gate_escalated: "A gate escalates",
  gate_expiring: "A gate is about to expire",
  gate_reminder: "Reminders while a gate waits for me",
};

export type PreferencesProps = { email: boolean; chat: boolean; chatWebhookUrl: string | null; kinds: string[]; mailConfigured: boolean };

/**
 * The account page's notification choices: mail and chat on or off, the chat webhook, which kinds.
 * Dispatched with useFormAction, so a refused save keeps every box and the URL as they were.
 */
export function NotificationPreferencesForm(props: PreferencesProps) {
  const [state, onSubmit, pending] = useFormAction(saveNotificationPreferencesAction, idle);
  const f = state.status === "error" ? (state.fields ?? {}) : {};
  return (
    <section aria-labelledby="notifications-heading" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="notifications-heading" className="font-semibold">Notifications</h2>
      <p className="text-sm text-slate-600">
        When a gate you may decide opens, escalates, waits or is about to expire, Flowgate tells you with a link to it. Choose how, and about what.
        {!props.mailConfigured && " Mail is not configured on this server yet (FLOWGATE_SMTP_URL), so only chat goes out."}
      </p>
      <form onSubmit={onSubmit} aria-label="Notification preferences" className="space-y-3" noValidate>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-800">How</legend>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="email" defaultChecked={props.email} /> By email
          </label>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" name="chat" defaultChecked={props.chat} /> By chat (a Slack-compatible incoming webhook)
          </label>
        </fieldset>
        <Field id="chat-webhook-url" label="Chat webhook URL" hint="Where chat messages are POSTed, e.g. a Slack incoming webhook to your direct messages." errors={f.chatWebhookUrl}>
          <Input
            id="chat-webhook-url"
            name="chatWebhookUrl"
            type="url"
            placeholder="https://hooks.slack.com/services/…"
            defaultValue={props.chatWebhookUrl ?? ""}
            aria-invalid={!!f.chatWebhookUrl}
            aria-describedby="chat-webhook-url-hint chat-webhook-url-error"
          />
        </Field>
        <fieldset className="space-y-1.5">
          <legend className="text-sm font-medium text-slate-800">About what</legend>
          {personalNotificationKinds.map((kind) => (
            <label key={kind} className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="kinds" value={kind} defaultChecked={props.kinds.includes(kind)} /> {kindLabels[kind]}
            </label>
          ))}
          <div aria-live="polite">{Object.entries(f).flatMap(([k, v]) => (k.startsWith("kinds") ? v : [])).map((e) => <p key={e} className="text-sm text-red-700">{e}</p>)}</div>
        </fieldset>
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={pending}>
            Save notification preferences
          </Button>
          <span aria-live="polite" className="text-sm">
            {/* A refusal with field errors shows them beside the fields; only other refusals show here. */}
            {state.status === "success" ? <span className="text-emerald-800">{state.message}</span> : state.status === "error" && !state.fields ? <span className="text-red-700">{state.message}</span> : null}
          </span>
        </div>
      </form>
    </section>
  );
}
