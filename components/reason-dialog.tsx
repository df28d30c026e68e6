"use client";

import { useEffect, useState, type ReactNode } from "react";
import { toast } from "sonner";
import { idle, type ActionState } from "@/lib/action-state";
import { REASON_MAX } from "@/lib/instances/limits";
import { textFieldStatus } from "@/lib/text";
import { Button, type ButtonProps } from "./ui/button";
import { Dialog } from "./ui/dialog";
import { Field, Textarea } from "./ui/field";
import { useFormAction } from "./use-form-action";

type Props = {
  title: string;
  description: ReactNode;
  triggerLabel: string;
  triggerVariant?: ButtonProps["variant"];
  submitLabel: string;
  action: (prev: ActionState, formData: FormData) => Promise<ActionState>;
  reasonLabel: string;
  reasonRequired: boolean;
  /** The form field's name, as the use case's schema calls it. */
  fieldName?: string;
  maxLength?: number;
  /** Shown once the field has been touched and left empty, when a reason is required. */
  requiredMessage?: string;
  /** Extra fields; as a function, it gets the server's field errors to show beside them. */
  children?: ReactNode | ((fields: Record<string, string[]>) => ReactNode);
};

/**
 * The deliberate way to act: a dialog that says what will happen, asks why, keeps the button
 * disabled until the reason is acceptable, and shows the server's field errors beside it.
 */
export function ReasonDialog({ title, description, triggerLabel, triggerVariant = "primary", submitLabel, action, reasonLabel, reasonRequired, requiredMessage = "A reason is required", fieldName = "reason", maxLength = REASON_MAX, children }: Props) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  // The toast is raised when the action answers, not in an effect: a successful decision may
  // revalidate this very card out of the page, and an unmounted dialog would never show it.
  const [state, onSubmit, pending] = useFormAction(async (prev: ActionState, formData: FormData) => {
    const next = await action(prev, formData);
    if (next.status === "success") {
      toast.success(next.message);
      // Closed with the answer, so the page it revalidates never shows under a still-open dialog.
      setOpen(false);
    }
    return next;
  }, idle);

  useEffect(() => {
    if (state.status === "success") {
      setOpen(false);
      setReason("");
      setTouched(false);
    }
  }, [state]);

  // The server's own rule (lib/text.ts): code points after normalising, and "blank" includes
  // zero-width characters, so the form never refuses what the API accepts, nor the reverse.
  const { length, tooLong, blank, invalid: clientInvalid } = textFieldStatus(reason, { max: maxLength, required: reasonRequired });
  const clientErrors = tooLong ? [`Keep the ${fieldName} to ${maxLength} characters`] : touched && reasonRequired && blank ? [requiredMessage] : undefined;
  const serverFieldErrors = state.status === "error" ? state.fields?.[fieldName] : undefined;
  const errors = clientErrors ?? serverFieldErrors;
  // Errors not about the main field (a conflict, a refusal, another field) are shown above the buttons.
  const otherFieldErrors = state.status === "error" && Object.keys(state.fields ?? {}).some((k) => k !== fieldName);
  const formError = state.status === "error" && !serverFieldErrors && !otherFieldErrors ? state.message : undefined;

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) setTouched(false);
      }} title={title} description={description} trigger={<Button variant={triggerVariant}>{triggerLabel}</Button>}>
      <form onSubmit={onSubmit} className="space-y-4" noValidate>
        <Field
          id={fieldName}
          label={reasonLabel}
          errors={errors}
          hint={
            <span className={tooLong ? "font-medium text-red-700" : undefined}>
              {length} / {maxLength} characters{reasonRequired ? "" : " (optional)"}
            </span>
          }
        >
          <Textarea id={fieldName} name={fieldName} rows={3} value={reason} onChange={(e) => {
              setReason(e.target.value);
              setTouched(true);
            }}
            onBlur={() => setTouched(true)} aria-invalid={!!errors} aria-describedby={`${fieldName}-hint ${fieldName}-error`} />
        </Field>
        {typeof children === "function" ? children(state.status === "error" ? (state.fields ?? {}) : {}) : children}
        {formError && (
          <p role="alert" className="rounded-md bg-red-50 p-3 text-sm text-red-800">
            {formError}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <Button
            variant="secondary"
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => {
              setOpen(false);
              setTouched(false);
            }}
          >
            Cancel
          </Button>
          {/* Disabled while the reason is visibly unacceptable; the server checks again regardless. */}
          <Button type="submit" variant={triggerVariant} disabled={pending || clientInvalid} aria-disabled={pending || clientInvalid}>
            {pending ? "Working…" : submitLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
