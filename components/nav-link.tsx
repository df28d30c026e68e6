"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { cn } from "./ui/cn";

/** A link in a navigation bar, marked as the current page while the path starts with `match` (default: `href`). */
export function NavLink({ href, match = href, children }: { href: string; match?: string; children: ReactNode }) {
  const active = usePathname().startsWith(match);
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      className={cn("whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium", active ? "bg-slate-900 text-white dark:bg-indigo-600" : "text-slate-700 hover:bg-slate-100")}
    >
      {children}
    </Link>
  );
}
