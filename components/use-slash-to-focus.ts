"use client";

import { useEffect, type RefObject } from "react";

/** Whether a key press belongs to what the user is typing: a text field, a select, an editable region. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/**
 * `/` focuses the given field, as on GitHub, Gmail and the Temporal UI: the quickest way to the
 * search box. Not while typing elsewhere (a slash in a reason is a slash), not with modifiers
 * (those are the browser's), and not while a dialog is open (its focus trap owns the keys).
 */
export function useSlashToFocus(ref: RefObject<HTMLInputElement | null>) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || isTypingTarget(e.target)) return;
      if (document.querySelector('[role="dialog"][data-state="open"], [role="alertdialog"][data-state="open"]')) return;
      const field = ref.current;
      if (!field) return;
      e.preventDefault();
      field.focus();
      field.select();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [ref]);
}
