"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { idle, type ActionState } from "@/lib/action-state";

/**
 * How an action went, in a polite live region: its message in red on refusal, in green on success.
 * With `fieldsBeside`, a refusal that carries field errors says nothing here, since the form shows
 * them beside their fields.
 */
export function ActionResult({ state, fieldsBeside = false }: { state: ActionState; fieldsBeside?: boolean }) {
  const refused = state.status === "error" && !(fieldsBeside && state.fields);
  return (
    <span aria-live="polite" className="text-sm">
      {refused ? <span className="text-red-700">{state.message}</span> : state.status === "success" ? <span className="text-emerald-800">{state.message}</span> : null}
    </span>
  );
}

/** One button that posts an action bound to its subject ("Disable #ops"), and says how it went beside it. `name` is its accessible name. */
export function ActionButton({ act, label, name, variant = "secondary" }: { act: (prev: ActionState, formData: FormData) => Promise<ActionState>; label: string; name: string; variant?: "secondary" | "ghost" }) {
  const [state, action, pending] = useActionState(act, idle);
  return (
    <form action={action} className="inline-flex items-center gap-2">
      <Button type="submit" size="sm" variant={variant} disabled={pending} aria-label={name}>
        {label}
      </Button>
      <ActionResult state={state} />
    </form>
  );
}
