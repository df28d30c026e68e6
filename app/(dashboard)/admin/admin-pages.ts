import { can, type Permission, type SessionUser } from "@/lib/auth/permissions";

/** The admin pages, each with the permission its page checks; the header's "Admin" entry and the admin tabs list the ones `user` may open. */
const ADMIN_PAGES: readonly { href: string; label: string; permission: Permission }[] = [
  { href: "/admin/users", label: "Users", permission: "users:manage" },
  { href: "/admin/webhooks", label: "Webhooks", permission: "webhooks:manage" },
  { href: "/admin/notifications", label: "Notifications", permission: "notifications:manage" },
];

/** The admin pages `user` may open, in tab order; empty for everyone but those the role matrix lets manage something. */
export const adminPagesFor = (user: SessionUser) => ADMIN_PAGES.filter((p) => can(user, p.permission));
