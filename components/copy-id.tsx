"use client";

import { Check, Copy } from "lucide-react";
import { useState } from "react";

/** An id in monospace, shortened for tables, with a button that copies the whole of it. */
export function CopyId({ id, short = false, buttonOnly = false }: { id: string; short?: boolean; buttonOnly?: boolean }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="inline-flex items-center gap-1">
      {!buttonOnly && (
        <code className="font-mono text-xs text-slate-700" title={id}>
          {short ? id.slice(0, 8) : id}
        </code>
      )}
      <button
        type="button"
        aria-label={`Copy id ${id}`}
        className="rounded p-0.5 text-slate-400 hover:bg-slate-100 hover:text-slate-700"
        onClick={async () => {
          await navigator.clipboard?.writeText(id);
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        }}
      >
        {copied ? <Check className="size-3.5" aria-hidden /> : <Copy className="size-3.5" aria-hidden />}
      </button>
    </span>
  );
}
