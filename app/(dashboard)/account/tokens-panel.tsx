"use client";

import { useActionState } from "react";
import { ReasonDialog } from "@/components/reason-dialog";
import { RelativeTime } from "@/components/relative-time";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { idle } from "@/lib/action-state";
import { issueTokenAction, revokeTokenAction } from "./actions";

/** A token's row as the page hands it over (lib/users/tokens.ts TokenView). */
export type TokenRow = {
  id: string;
  name: string;
  hint: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  status: "active" | "expired" | "revoked";
};

const lifetimes = [
  ["7", "7 days"],
  ["30", "30 days"],
  ["90", "90 days"],
  ["365", "1 year"],
  ["never", "No expiry"],
] as const;

const statusStyle = { active: "bg-emerald-50 text-emerald-800", expired: "bg-slate-100 text-slate-700", revoked: "bg-red-50 text-red-800" } as const;

/** Issue, list and revoke the API tokens of one user: yours on /account, anyone's for an admin. */
export function TokensPanel({ userId, email, tokens }: { userId: string; email: string; tokens: TokenRow[] }) {
  const [state, action, pending] = useActionState(issueTokenAction.bind(null, userId), idle);
  const f = state.status === "error" ? (state.fields ?? {}) : {};
  const typed = state.status === "error" ? state.values : undefined;
  return (
    <section aria-labelledby="tokens-heading" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="tokens-heading" className="font-semibold">API tokens</h2>
      <p className="text-sm text-slate-600">
        A token acts as {email} with their role, on the REST API and the CLI (<code>Authorization: Bearer …</code>). It is shown once; only its first characters are kept to tell it apart.
      </p>
      {/* key: a refused form is re-mounted with what was typed, a successful one comes back empty. */}
      <form key={state.at ?? 0} action={action} aria-label="Issue an API token" className="grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-end" noValidate>
        <Field id="token-name" label="Token name" errors={f.name}>
          <Input id="token-name" name="name" placeholder="e.g. ci, release-bot" defaultValue={typed?.name ?? ""} aria-invalid={!!f.name} />
        </Field>
        <Field id="token-expiry" label="Expires after" errors={f.expiresInDays}>
          <Select id="token-expiry" name="expiresInDays" defaultValue={typed?.expiresInDays ?? "90"}>
            {lifetimes.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        </Field>
        <Button type="submit" disabled={pending}>
          Issue token
        </Button>
      </form>
      {/* Shown until it is revoked from this list: a token that no longer works is not worth copying. */}
      {state.status === "success" && state.message && !tokens.some((t) => t.status !== "active" && t.hint && state.message!.startsWith(t.hint)) && (
        <p role="status" className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">
          Copy it now, it is shown once: <code className="select-all break-all rounded bg-white px-1 font-mono">{state.message}</code>
        </p>
      )}
      {state.status === "error" && !state.fields && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          {state.message}
        </p>
      )}
      {tokens.length === 0 ? (
        <p className="text-sm text-slate-600">No API tokens.</p>
      ) : (
        <ul aria-label="API tokens" className="divide-y divide-slate-100 rounded-md border border-slate-200">
          {tokens.map((t) => (
            <li key={t.id} aria-label={t.name} className="flex flex-wrap items-center gap-x-4 gap-y-1 px-3 py-2 text-sm">
              <span className="min-w-40 font-medium break-all">{t.name}</span>
              {t.hint && <code className="font-mono text-xs text-slate-600">{t.hint}…</code>}
              <span className={`rounded px-1.5 py-0.5 text-xs ${statusStyle[t.status]}`}>{t.status}</span>
              <span className="text-slate-600">
                created <RelativeTime value={t.createdAt} />
              </span>
              <span className="text-slate-600">{t.lastUsedAt ? <>used <RelativeTime value={t.lastUsedAt} /></> : "never used"}</span>
              <span className="text-slate-600">
                {t.revokedAt ? (
                  <>revoked <RelativeTime value={t.revokedAt} /></>
                ) : t.expiresAt ? (
                  <>{t.status === "expired" ? "expired" : "expires"} <RelativeTime value={t.expiresAt} /></>
                ) : (
                  "never expires"
                )}
              </span>
              {t.status === "active" && (
                <span className="ml-auto">
                  <ReasonDialog
                    title={`Revoke “${t.name}”?`}
                    description="The token stops working at once; whatever uses it gets 401 from then on. This cannot be undone: issue a new token instead."
                    triggerLabel="Revoke"
                    triggerVariant="danger"
                    submitLabel="Revoke token"
                    action={revokeTokenAction.bind(null, userId, t.id)}
                    reasonLabel="Reason"
                    reasonRequired={false}
                  />
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
