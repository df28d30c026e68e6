"use client";

import { startTransition, useActionState, type FormEvent } from "react";

/**
 * useActionState for a form that must keep what was entered when the server refuses it.
 * A `<form action={…}>` is reset by React once its action settles, success or not: every
 * uncontrolled field goes back to its default, so a refused pause lost its mode, category and
 * ticket, and a refused resume its Force box. Dispatched from onSubmit instead, React resets
 * nothing; a caller that wants a blank form after a success resets it itself.
 */
export function useFormAction<S>(action: (prev: Awaited<S>, formData: FormData) => Promise<S>, initial: Awaited<S>) {
  const [state, dispatch, pending] = useActionState(action, initial);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter;
    const formData = new FormData(event.currentTarget, submitter);
    startTransition(() => dispatch(formData));
  };
  return [state, onSubmit, pending] as const;
}
