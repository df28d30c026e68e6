"use client";

import { X } from "lucide-react";
import { Dialog as D } from "radix-ui";
import type { ReactNode } from "react";

/** A modal with a title and description wired for screen readers; focus is trapped and Esc closes it. */
export function Dialog({ open, onOpenChange, trigger, title, description, children }: { open: boolean; onOpenChange: (open: boolean) => void; trigger: ReactNode; title: string; description: ReactNode; children: ReactNode }) {
  return (
    <D.Root open={open} onOpenChange={onOpenChange}>
      <D.Trigger asChild>{trigger}</D.Trigger>
      <D.Portal>
        <D.Overlay className="fixed inset-0 z-40 bg-slate-900/40 dark:bg-black/60" />
        <D.Content className="fixed left-1/2 top-1/2 z-50 max-h-[calc(100dvh-2rem)] w-[min(32rem,calc(100vw-2rem))] -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-4 shadow-xl sm:p-6">
          <D.Title className="text-lg font-semibold text-slate-900">{title}</D.Title>
          <D.Description asChild>
            <div className="mt-1 text-sm text-slate-600">{description}</div>
          </D.Description>
          <div className="mt-4">{children}</div>
          <D.Close className="absolute right-3 top-3 rounded p-1 text-slate-500 hover:bg-slate-100" aria-label="Close">
            <X className="size-4" aria-hidden />
          </D.Close>
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}
