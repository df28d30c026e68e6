"use client";

import { useActionState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { roles } from "@/lib/domain";
import { idle, type ActionState } from "@/lib/action-state";
import { toast } from "sonner";
import { changeRoleAction, createUserAction, passwordResetAction, reactivateUserAction, setGroupsAction } from "./actions";

export function CreateUserForm() {
  const [state, action, pending] = useActionState(createUserAction, idle);
  const f = state.status === "error" ? state.fields ?? {} : {};
  return (
    <form key={state.at ?? 0} action={action} aria-label="Create a user" className="grid gap-3 md:grid-cols-5 md:items-end" noValidate>
      <Field id="new-email" label="Email" errors={f.email}>
        <Input id="new-email" name="email" type="email" defaultValue={state.status === "error" ? state.values?.email : ""} aria-invalid={!!f.email} />
      </Field>
      <Field id="new-name" label="Name" errors={f.name}>
        <Input id="new-name" name="name" defaultValue={state.status === "error" ? state.values?.name : ""} aria-invalid={!!f.name} />
      </Field>
      <Field id="new-role" label="Role" errors={f.role}>
        <Select id="new-role" name="role" defaultValue={state.status === "error" ? (state.values?.role ?? "operator") : "operator"}>
          {roles.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </Select>
      </Field>
      <Field id="new-password" label="Password" errors={f.password}>
        <Input id="new-password" name="password" type="password" autoComplete="new-password" aria-invalid={!!f.password} />
      </Field>
      <Button type="submit" disabled={pending}>
        Create user
      </Button>
      <p aria-live="polite" className="text-sm md:col-span-5">
        {state.status === "success" ? <span className="text-emerald-800">{state.message}</span> : state.status === "error" && !state.fields ? <span className="text-red-700">{state.message}</span> : null}
      </p>
    </form>
  );
}

export function RoleForm({ userId, email, role }: { userId: string; email: string; role: string }) {
  const [state, action, pending] = useActionState(changeRoleAction.bind(null, userId), idle);
  return (
    <form action={action} className="flex items-center gap-2">
      <label htmlFor={`role-${userId}`} className="sr-only">
        Role of {email}
      </label>
      <Select id={`role-${userId}`} name="role" defaultValue={role} className="w-32">
        {roles.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </Select>
      <Button type="submit" variant="secondary" size="sm" disabled={pending}>
        Save
      </Button>
      <span aria-live="polite" className="text-xs">
        {state.status === "error" ? <span className="text-red-700">{state.message}</span> : state.status === "success" ? <span className="text-emerald-800">Saved</span> : null}
      </span>
    </form>
  );
}

export function GroupsForm({ userId, email, groups }: { userId: string; email: string; groups: string[] }) {
  const [state, action, pending] = useActionState(setGroupsAction.bind(null, userId), idle);
  return (
    <form action={action} className="flex flex-wrap items-center gap-2">
      <label htmlFor={`groups-${userId}`} className="sr-only">
        Groups of {email}
      </label>
      <Input id={`groups-${userId}`} name="groups" defaultValue={groups.join(", ")} placeholder="release-managers, dba" className="w-48" />
      <Button type="submit" variant="secondary" size="sm" disabled={pending}>
        Save
      </Button>
      <span aria-live="polite" className="text-xs">
        {state.status === "error" ? <span className="text-red-700">{state.message}</span> : state.status === "success" ? <span className="text-emerald-800">{state.message}</span> : null}
      </span>
    </form>
  );
}

/** Reactivates a deactivated user in one click: nothing is lost by it, so no reason is asked. */
export function ReactivateForm({ userId }: { userId: string }) {
  // A toast, raised when the action answers: the success re-renders the page without this form.
  const [state, action, pending] = useActionState(async (prev: ActionState, formData: FormData) => {
    const next = await reactivateUserAction(userId, prev, formData);
    if (next.status === "success") toast.success(next.message);
    return next;
  }, idle);
  return (
    <form action={action} className="flex flex-wrap items-center gap-2">
      <Button type="submit" variant="secondary" disabled={pending}>
        Reactivate
      </Button>
      <span aria-live="polite" className="text-sm">
        {state.status === "error" ? <span className="text-red-700">{state.message}</span> : state.status === "success" ? <span className="text-emerald-800">{state.message}</span> : null}
      </span>
    </form>
  );
}

/** Issues a one-time reset link and shows it once, to hand to the user (there is no mail yet). */
export function PasswordResetForm({ userId, email }: { userId: string; email: string }) {
  const [state, action, pending] = useActionState(passwordResetAction.bind(null, userId), idle);
  const link = state.status === "success" && state.message ? new URL(state.message, window.location.origin).toString() : null;
  return (
    <form action={action} className="space-y-2">
      <Button type="submit" variant="secondary" disabled={pending}>
        Issue a password reset link
      </Button>
      {link && (
        <p role="status" className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900">
          Give this link to {email}; it works once, for an hour, and is shown only now:{" "}
          <code className="select-all break-all rounded bg-white px-1 font-mono">{link}</code>
        </p>
      )}
      {state.status === "error" && (
        <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
          {state.message}
        </p>
      )}
    </form>
  );
}
