import { Workflow } from "lucide-react";
import Link from "next/link";
import type { ReactNode } from "react";
import { HeaderMenu } from "@/components/header-menu";
import { LiveUpdates } from "@/components/live-updates";
import { NavLink } from "@/components/nav-link";
import { NavigationProgress } from "@/components/navigation-progress";
import { SkipLink } from "@/components/skip-link";
import { ThemeToggle } from "@/components/theme-toggle";
import { TimeZoneToggle } from "@/components/time-zone";
import { Button } from "@/components/ui/button";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { env } from "@/lib/env";
import { INBOX_COUNT_CAP, inboxCountFor } from "@/lib/gates/queries";
import { signOutAction } from "../sign-in/actions";
import { adminPagesFor } from "./admin/admin-pages";

export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const user = await requirePage("instances:read");
  const waiting = can(user, "gates:decide") ? await inboxCountFor(getDb(), user) : 0;
  const adminPages = adminPagesFor(user);
  return (
    <div className="min-h-screen">
      <SkipLink />
      <NavigationProgress />
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-screen-2xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 lg:flex-nowrap lg:px-6">
          <span className="flex items-center gap-2 font-semibold">
            <Workflow className="size-5 text-indigo-600" aria-hidden /> Flowgate
          </span>
          <HeaderMenu>
            <nav aria-label="Main" className="flex flex-col gap-1 lg:flex-row">
              <NavLink href="/instances">Instances</NavLink>
              <NavLink href="/workflows">Workflows</NavLink>
              <NavLink href="/approvals">
                Approvals
                {waiting > 0 && (
                  <span className="ml-1.5 rounded-full bg-violet-600 px-1.5 py-0.5 text-xs text-white" aria-label={`${waiting > INBOX_COUNT_CAP ? `More than ${INBOX_COUNT_CAP}` : waiting} waiting for you`}>
                    {waiting > INBOX_COUNT_CAP ? `${INBOX_COUNT_CAP}+` : waiting}
                  </span>
                )}
              </NavLink>
              <NavLink href="/bulk-operations">Bulk operations</NavLink>
              <NavLink href="/history">History</NavLink>
              <NavLink href="/insights">Insights</NavLink>
              {/* One entry for the admin pages keeps the bar on one line at 1440 px; their own tabs are in admin/layout.tsx. */}
              {adminPages.length > 0 && (
                <NavLink href={adminPages[0]!.href} match="/admin">
                  Admin
                </NavLink>
              )}
            </nav>
            <div className="flex flex-wrap items-center gap-3 border-t border-slate-100 pt-3 text-sm lg:ml-auto lg:flex-nowrap lg:border-0 lg:pt-0">
              <LiveUpdates fallbackPollMs={env().FLOWGATE_FALLBACK_POLL_MS} />
              <ThemeToggle />
              <TimeZoneToggle />
              <Link href="/account" className="text-slate-600 underline-offset-2 hover:underline" aria-label={`Your account: ${user.name}, ${user.role}`}>
                {user.name} <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">{user.role}</span>
              </Link>
              <form action={signOutAction}>
                <Button type="submit" variant="ghost" size="sm" className="whitespace-nowrap">
                  Sign out
                </Button>
              </form>
            </div>
          </HeaderMenu>
        </div>
      </header>
      {/* tabIndex -1: the skip link's target takes focus, so the next Tab continues inside the content. */}
      <main id="main" tabIndex={-1} className="mx-auto max-w-screen-2xl px-4 py-6 focus:outline-none md:px-6">
        {children}
      </main>
    </div>
  );
}
