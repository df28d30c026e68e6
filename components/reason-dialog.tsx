"use client";

import { useEffect, useState, type KeyboardEvent, type ReactNode } from "react";
import { toast } from "sonner";
import { idle, type ActionState } from "@/lib/action-state";
import { REASON_MAX } from "@/lib/instances/limits";
import { textFieldStatus } from "@/lib/text";
import { Button, type ButtonProps } from "./ui/button";
import { Dialog } from "./ui/dialog";
import { Field, Textarea } from "./ui/field";
import { useFormAction } from "./use-form-action";

/**
 * What the dialog acts on, as the page last rendered it. Live updates re-render the page while
 * the dialog is open; when someone else changes the subject meanwhile, the dialog stays open with
 * what was typed, says who changed it and when, and disables submit where acting became moot.
 */
export type DialogSubject = {
  /** Changes when the subject's state changes (a status, and the history row that set it). */
  key: string;
  /** Its state in words ("running"), for "no longer running, now paused". */
  state: string;
  /** Who changed it last and when: "Paused by x 3 sec. ago". */
  lastChange: ReactNode;
  /** Why this dialog's action no longer makes sense (the state machine's words), or null while it does. */
  refusal: string | null;
};

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
  /** The button that closes without acting; "Cancel" reads like the action in a cancel dialog. */
  dismissLabel?: string;
  subject?: DialogSubject;
  /** Told when the dialog opens or closes (the Approvals page keeps an open dialog's gate on the page). */
  onOpenChange?: (open: boolean) => void;
  /**
   * A single key that opens the dialog from anywhere on the page ("p"), shown on the trigger. Not
   * while typing in a field, with a modifier held, or while another dialog is open.
   */
  shortcut?: string;
  /** Draws the extra fields above the reason: a choice to make first (a gate's path and form), the reason after it. */
  childrenFirst?: boolean;
};

/** Whether a key press belongs to a text field (or other editable control) rather than the page. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/**
 * Ctrl+Enter (Cmd+Enter on a Mac) submits, as in GitHub's and Slack's text boxes: the reason is
 * typed in a textarea, where Enter is a new line. Only when the submit button is enabled, so the
 * shortcut never gets past what the button itself refuses (no reason yet, a moot action, pending).
 */
function submitOnModEnter(e: KeyboardEvent<HTMLFormElement>) {
  if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
  e.preventDefault();
  const submit = e.currentTarget.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (submit && !submit.disabled) e.currentTarget.requestSubmit(submit);
}

/**
 * The deliberate way to act: a dialog that says what will happen, asks why, keeps the button
 * disabled until the reason is acceptable, and shows the server's field errors beside it.
 */
export function ReasonDialog({ title, description, triggerLabel, triggerVariant = "primary", submitLabel, action, reasonLabel, reasonRequired, requiredMessage = "A reason is required", fieldName = "reason", maxLength = REASON_MAX, children, dismissLabel = "Cancel", subject, onOpenChange, shortcut, childrenFirst = false }: Props) {
  const [open, setOpenState] = useState(false);
  const setOpen = (next: boolean) => {
    setOpenState(next);
    onOpenChange?.(next);
  };
  // The subject as it was when the dialog opened, to tell what changed since.
  const [openedOn, setOpenedOn] = useState<Pick<DialogSubject, "key" | "state"> | null>(null);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  // The toast is raised when the action answers, not in an effect: a successful decision may
  // revalidate this very card out of the page, and an unmounted dialog would never show it.
  const [state, onSubmit, pending] = useFormAction(async (prev: ActionState, formData: FormData) => {
    const next = await action(prev, formData);
    if (next.status === "success") {
      if (next.tone === "warning") toast.warning(next.message);
      else toast.success(next.message);
      // Closed with the answer, so the page it revalidates never shows under a still-open dialog.
      setOpen(false);
    }
    return next;
  }, idle);

  const refused = !!subject?.refusal;
  useEffect(() => {
    if (!shortcut || refused) return;
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key.toLowerCase() !== shortcut || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || typingIn(e.target)) return;
      // One dialog at a time: a shortcut pressed while any dialog is open is the dialog's business.
      if (document.querySelector('[role="dialog"]')) return;
      e.preventDefault();
      setOpenedOn(subject ? { key: subject.key, state: subject.state } : null);
      setOpen(true);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [shortcut, refused, subject]);

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
  const changed = open && subject && openedOn && openedOn.key !== subject.key ? { from: openedOn.state, ...subject } : null;
  const moot = open && !!subject?.refusal;

  const extra = typeof children === "function" ? children(state.status === "error" ? (state.fields ?? {}) : {}) : children;

  // Nothing to offer while the action makes no sense; an open dialog stays (see DialogSubject).
  if (!open && subject?.refusal) return null;

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) setOpenedOn(subject ? { key: subject.key, state: subject.state } : null);
        else setTouched(false);
      }} title={title} description={description} trigger={
        <Button variant={triggerVariant} aria-keyshortcuts={shortcut} title={shortcut ? `${triggerLabel} (press ${shortcut.toUpperCase()})` : undefined}>
          {triggerLabel}
          {shortcut && (
            <kbd aria-hidden className="ml-1.5 rounded border border-current/40 px-1 font-mono text-[0.7rem] leading-4 opacity-80">
              {shortcut.toUpperCase()}
            </kbd>
          )}
        </Button>
      }>
      <form onSubmit={onSubmit} onKeyDown={submitOnModEnter} className="space-y-4" noValidate>
        {changed && (
          <div role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
            <p>
              {changed.lastChange} — no longer {changed.from}, now {changed.state}.
            </p>
            {changed.refusal && <p className="mt-1 font-medium">{changed.refusal}. What you typed stays here until you close this dialog.</p>}
          </div>
        )}
        {childrenFirst && extra}
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
        {!childrenFirst && extra}
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
            {dismissLabel}
          </Button>
          {/* Disabled while the reason is visibly unacceptable or the action moot; the server checks again regardless. */}
          <Button type="submit" variant={triggerVariant} disabled={pending || clientInvalid || moot} aria-disabled={pending || clientInvalid || moot} aria-keyshortcuts="Control+Enter Meta+Enter" title="Ctrl+Enter">
            {pending ? "Working…" : submitLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
