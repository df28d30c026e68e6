"use client";

import Link from "next/link";
import { useEffect, useRef } from "react";
import { toast } from "sonner";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { useFormAction } from "@/components/use-form-action";
import { idle } from "@/lib/action-state";
import { startAction, type StartState } from "./actions";

type Property = { type?: string; enum?: string[]; default?: unknown; description?: string; minLength?: number; maxLength?: number };

/** A start form drawn from the workflow's input schema (as JSON Schema); the server validates with the zod schema itself. */
export function StartForm({ workflow, schema }: { workflow: string; schema: Record<string, unknown> | null }) {
  const form = useRef<HTMLFormElement>(null);
  const [state, onSubmit, pending] = useFormAction(async (prev: StartState, formData: FormData) => {
    const next = await startAction(workflow, prev, formData);
    // The toast leads to the instance just started: the next thing a person wants to see.
    if (next.status === "success") {
      toast.success(next.message, {
        duration: 10_000,
        description: next.instanceId && (
          <Link href={`/instances/${next.instanceId}`} className="text-indigo-700 underline">
            Open the new instance
          </Link>
        ),
      });
      // A fresh form for the next start; after a refusal nothing is reset (useFormAction).
      form.current?.reset();
    }
    return next;
  }, idle as StartState);
  useEffect(() => {
    if (state.status === "error" && !state.fields) toast.error(state.message);
  }, [state]);
  const properties = Object.entries((schema?.properties as Record<string, Property> | undefined) ?? {});
  const required = new Set((schema?.required as string[] | undefined) ?? []);

  return (
    <form ref={form} onSubmit={onSubmit} className="space-y-3" aria-label={`Start ${workflow}`} noValidate>
      {properties.length === 0 && <p className="text-sm text-slate-600">This workflow takes no input.</p>}
      {properties.map(([key, prop]) => {
        const id = `${workflow}-${key}`;
        const name = `input.${key}`;
        const errors = state.status === "error" ? state.fields?.[name] : undefined;
        return (
          <div key={key}>
            <input type="hidden" name={`type.${key}`} value={prop.type ?? "string"} />
            <Field id={id} label={`${key}${required.has(key) && prop.default === undefined ? "" : " (optional)"}`} errors={errors} hint={prop.description}>
              {prop.enum ? (
                <Select id={id} name={name} defaultValue={typeof prop.default === "string" ? prop.default : ""} aria-describedby={`${id}-error`}>
                  {prop.default === undefined && <option value="">Choose…</option>}
                  {prop.enum.map((v) => (
                    <option key={v} value={v}>
                      {v}
                    </option>
                  ))}
                </Select>
              ) : prop.type === "boolean" ? (
                <input id={id} name={name} type="checkbox" defaultChecked={prop.default === true} />
              ) : (
                <Input id={id} name={name} type={prop.type === "number" || prop.type === "integer" ? "number" : "text"} placeholder={prop.default !== undefined ? String(prop.default) : undefined} aria-invalid={!!errors} aria-describedby={`${id}-error`} />
              )}
            </Field>
          </div>
        );
      })}
      <Button type="submit" disabled={pending}>
        {pending ? "Starting…" : "Start instance"}
      </Button>
    </form>
  );
}
