"use client";

import { useActionState, useRef } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { idle } from "@/lib/action-state";
import { signInAction } from "./actions";

/** The demo accounts, passed by the page in demo mode only (db/ stays out of client code). */
export type DemoSignIns = { accounts: { email: string; role: string }[]; password: string };

/**
 * `next`: the page to return to after signing in, already checked to be one of ours (lib/return-to.ts).
 * `demo`: in demo mode, each account becomes a button that fills the form; it does not sign in by
 * itself, so the person sees which account they are about to use, and Enter then signs in.
 */
export function SignInForm({ next, demo }: { next: string | null; demo: DemoSignIns | null }) {
  const [state, action, pending] = useActionState(signInAction, idle);
  const email = useRef<HTMLInputElement>(null);
  const password = useRef<HTMLInputElement>(null);
  const submit = useRef<HTMLButtonElement>(null);
  // The inputs stay uncontrolled (the form resets them after each answer, as before); a demo
  // button writes their values directly and hands focus to Sign in.
  const fill = (account: string) => {
    if (!demo || !email.current || !password.current) return;
    email.current.value = account;
    password.current.value = demo.password;
    submit.current?.focus();
  };
  return (
    <>
      <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <form action={action} className="space-y-4" noValidate>
          {next && <input type="hidden" name="next" value={next} />}
          <Field id="email" label="Email" errors={state.fields?.email}>
            <Input ref={email} id="email" name="email" type="email" autoComplete="username" required defaultValue={state.values?.email} aria-invalid={!!state.fields?.email} aria-describedby="email-error" />
          </Field>
          <Field id="password" label="Password" errors={state.fields?.password}>
            <Input ref={password} id="password" name="password" type="password" autoComplete="current-password" required aria-invalid={!!state.fields?.password} aria-describedby="password-error" />
          </Field>
          <Button ref={submit} type="submit" className="w-full" disabled={pending}>
            {pending ? "Signing in…" : "Sign in"}
          </Button>
        </form>
      </div>
      {demo && (
        <section aria-labelledby="demo-heading" className="rounded-lg border border-dashed border-slate-300 bg-white p-4 text-sm">
          <h2 id="demo-heading" className="font-medium">
            Demo sign-ins
          </h2>
          <p className="mt-1 text-slate-600">
            Password for all: <code className="font-mono">{demo.password}</code>. Pick an account to fill the form, then press Sign in.
          </p>
          <ul className="mt-2 space-y-1">
            {demo.accounts.map((u) => (
              <li key={u.email}>
                {/* Named "Use …", not "Sign in as …": it fills rather than signs in, and the form's own button keeps the only name that starts with "Sign in". */}
                <button type="button" onClick={() => fill(u.email)} className="flex w-full items-center justify-between gap-2 rounded-md px-2 py-1 text-left hover:bg-slate-100">
                  <span>
                    <span className="sr-only">Use </span>
                    <code className="font-mono text-slate-800">{u.email}</code>
                  </span>
                  <span className="text-slate-500">{u.role}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
