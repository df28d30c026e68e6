"use client";

import { LayoutList, Rows3 } from "lucide-react";
import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { cn } from "@/components/ui/cn";
import { APPROVALS_LAYOUT_COOKIE, type ApprovalLayout } from "@/lib/gates/review-filter";

/**
 * Cards or a compact list, remembered in a cookie so the server renders the chosen layout at
 * once (no flash of cards, no hydration mismatch). A preference of this browser, not of the URL.
 */
export function LayoutToggle({ layout }: { layout: ApprovalLayout }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const choose = (next: ApprovalLayout) => {
    document.cookie = `${APPROVALS_LAYOUT_COOKIE}=${next}; path=/; max-age=31536000; samesite=lax`;
    startTransition(() => router.refresh());
  };
  const options: { value: ApprovalLayout; label: string; Icon: typeof Rows3 }[] = [
    { value: "cards", label: "Cards", Icon: Rows3 },
    { value: "compact", label: "Compact list", Icon: LayoutList },
  ];
  return (
    <div role="group" aria-label="Layout" aria-busy={pending} className="inline-flex rounded-md border border-slate-300 bg-white p-0.5 text-sm">
      {options.map(({ value, label, Icon }) => (
        <button key={value} type="button" aria-pressed={layout === value} onClick={() => choose(value)} className={cn("inline-flex items-center gap-1 rounded px-2.5 py-1.5 font-medium", layout === value ? "bg-slate-900 text-white dark:bg-indigo-600" : "text-slate-700 hover:bg-slate-100")}>
          <Icon className="size-4" aria-hidden />
          {label}
        </button>
      ))}
    </div>
  );
}
