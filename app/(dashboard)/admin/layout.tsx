import type { ReactNode } from "react";
import { NavLink } from "@/components/nav-link";
import { requirePage } from "@/lib/auth/current-user";
import { adminPagesFor } from "./admin-pages";

/** The admin pages' tabs. Each page still checks its own permission; this only lists the ones the user may open. */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const user = await requirePage("instances:read");
  const pages = adminPagesFor(user);
  return (
    <>
      {pages.length > 1 && (
        <nav aria-label="Admin" className="-mt-2 mb-4 flex flex-wrap gap-1 border-b border-slate-200 pb-2">
          {pages.map((p) => (
            <NavLink key={p.href} href={p.href}>
              {p.label}
            </NavLink>
          ))}
        </nav>
      )}
      {children}
    </>
  );
}
