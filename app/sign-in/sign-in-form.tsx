"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { idle } from "@/lib/action-state";
import { signInAction } from "./actions";

/** `next`: the page to return to after signing in, already checked to be one of ours (lib/return-to.ts). */
export function SignInForm({ next }: { next: string | null }) {
  const [state, action, pending] = useActionState(signInAction, idle);
  return (
    <form action={action} className="space-y-4" noValidate>
      {next && <input type="hidden" name="next" value={next} />}
      <Field id="email" label="Email" errors={state.fields?.email}>
        <Input id="email" name="email" type="email" autoComplete="username" required defaultValue={state.values?.email} aria-invalid={!!state.fields?.email} aria-describedby="email-error" />
      </Field>
      <Field id="password" label="Password" errors={state.fields?.password}>
        <Input id="password" name="password" type="password" autoComplete="current-password" required aria-invalid={!!state.fields?.password} aria-describedby="password-error" />
      </Field>
      <Button type="submit" className="w-full" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
