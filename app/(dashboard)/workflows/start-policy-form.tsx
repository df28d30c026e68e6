"use client";

import { useEffect, useState } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { useFormAction } from "@/components/use-form-action";
import { idle } from "@/lib/action-state";
import type { HeldStartPolicy } from "@/lib/domain";
import { startPolicyAction } from "./actions";

/** What the workflow does with new starts while paused: refuse or queue (with an optional time-to-live), and why it changed. */
export function StartPolicyForm({ workflow, name, policy, queueTtlSeconds }: { workflow: string; name: string; policy: HeldStartPolicy; queueTtlSeconds: number | null }) {
  const [choice, setChoice] = useState<HeldStartPolicy>(policy);
  const [state, onSubmit, pending] = useFormAction(async (prev: typeof idle, formData: FormData) => {
    const next = await startPolicyAction(workflow, prev, formData);
    if (next.status === "success") toast.success(next.message);
    return next;
  }, idle);
  useEffect(() => {
    if (state.status === "error" && !state.fields) toast.error(state.message);
  }, [state]);
  const errors = (field: string) => (state.status === "error" ? state.fields?.[field] : undefined);
  const id = (field: string) => `${workflow}-policy-${field}`;
  return (
    <form onSubmit={onSubmit} noValidate aria-label={`Starts while ${name} is paused`} className="grid gap-2 sm:grid-cols-[auto_auto_1fr_auto] sm:items-end">
      <Field id={id("policy")} label="Starts while paused" errors={errors("policy")}>
        <Select id={id("policy")} name="policy" value={choice} onChange={(e) => setChoice(e.target.value as HeldStartPolicy)} aria-describedby={`${id("policy")}-error`}>
          <option value="refuse">Refuse (409)</option>
          <option value="queue">Queue until resumed</option>
        </Select>
      </Field>
      {choice === "queue" ? (
        <Field id={id("queueTtlSeconds")} label="Drop after (seconds, optional)" errors={errors("queueTtlSeconds")}>
          <Input id={id("queueTtlSeconds")} name="queueTtlSeconds" inputMode="numeric" defaultValue={queueTtlSeconds ?? ""} aria-invalid={!!errors("queueTtlSeconds")} aria-describedby={`${id("queueTtlSeconds")}-error`} />
        </Field>
      ) : (
        <span />
      )}
      <Field id={id("reason")} label="Reason (optional)" errors={errors("reason")}>
        <Input id={id("reason")} name="reason" maxLength={500} aria-describedby={`${id("reason")}-error`} />
      </Field>
      <Button type="submit" variant="secondary" disabled={pending}>
        {pending ? "Saving…" : "Save policy"}
      </Button>
    </form>
  );
}
