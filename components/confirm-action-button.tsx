"use client";

import { useActionState, useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { idle, type ActionState } from "@/lib/action-state";

/**
 * A destructive action in two steps: the first button only asks ("Delete #ops and its log?"), and
 * only "Yes, delete" posts the action, so one stray click deletes nothing. Focus moves to the
 * question's confirm button and back to the first button on Cancel. `name` is the first button's
 * accessible name ("Delete #ops"); the question is a group named "Confirm: <name>".
 */
export function ConfirmActionButton({ act, label, name, question }: { act: (prev: ActionState, formData: FormData) => Promise<ActionState>; label: string; name: string; question: string }) {
  const [asking, setAsking] = useState(false);
  const [state, action, pending] = useActionState(act, idle);
  const confirm = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) confirm.current?.focus();
    else if (wasAsking.current) first.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <span className="inline-flex items-center gap-2">
        <Button ref={first} size="sm" variant="ghost" aria-label={name} onClick={() => setAsking(true)}>
          {label}
        </Button>
        {state.status === "error" && <span aria-live="polite" className="text-sm text-red-700">{state.message}</span>}
      </span>
    );
  }
  return (
    <form action={action} role="group" aria-label={`Confirm: ${name}`} className="inline-flex flex-wrap items-center gap-2 rounded-md border border-amber-300 bg-amber-50 px-2 py-1 text-sm text-amber-900">
      <span>{question}</span>
      <Button ref={confirm} type="submit" size="sm" variant="danger" disabled={pending}>
        Yes, {label.toLowerCase()}
      </Button>
      <Button size="sm" variant="secondary" onClick={() => setAsking(false)} disabled={pending}>
        Cancel
      </Button>
      <span aria-live="polite" className="text-sm">{state.status === "error" ? <span className="text-red-700">{state.message}</span> : null}</span>
    </form>
  );
}
