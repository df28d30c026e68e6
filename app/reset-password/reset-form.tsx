"use client";

import Link from "next/link";
import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { idle } from "@/lib/action-state";
import { resetPasswordAction } from "./actions";

export function ResetForm({ token }: { token: string }) {
  const [state, action, pending] = useActionState(resetPasswordAction, idle);
  if (state.status === "success") {
    return (
      <div className="space-y-4">
        <p role="status" className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">
          {state.message}
        </p>
        <Link href="/sign-in" className="text-sm font-medium text-indigo-700 underline">
          Sign in
        </Link>
      </div>
    );
  }
  const f = state.status === "error" ? (state.fields ?? {}) : {};
  return (
    <form action={action} className="space-y-4" noValidate>
      <input type="hidden" name="token" value={token} />
      <Field id="password" label="New password" hint="At least 12 characters" errors={f.password}>
        <Input id="password" name="password" type="password" autoComplete="new-password" aria-invalid={!!f.password} aria-describedby="password-hint password-error" />
      </Field>
      <Field id="confirm" label="New password again" errors={f.confirm}>
        <Input id="confirm" name="confirm" type="password" autoComplete="new-password" aria-invalid={!!f.confirm} aria-describedby="confirm-error" />
      </Field>
      {state.status === "error" && (f.token || !state.fields) && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          {state.message}
        </p>
      )}
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Saving…" : "Set the new password"}
      </Button>
    </form>
  );
}
