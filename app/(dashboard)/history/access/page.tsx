import type { Metadata } from "next";
import { LogHeading, LogTable } from "@/components/log-table";
import { RelativeTime } from "@/components/relative-time";
import type { AccessAction } from "@/db/schema";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { recentAccessChanges } from "@/lib/users/access-log";
import { utc } from "@/lib/time";

export const metadata: Metadata = { title: "Access log" };

const actionLabels: Record<AccessAction, string> = {
  user_created: "User created",
  role_changed: "Role changed",
  groups_changed: "Groups changed",
  token_issued: "API token issued",
  token_revoked: "API token revoked",
  user_deactivated: "User deactivated",
  user_reactivated: "User reactivated",
  password_reset_issued: "Password reset link issued",
  password_reset: "Password reset",
};

const list = (v: unknown) => (Array.isArray(v) && v.length ? v.join(", ") : "none");

/** What changed, in words: the details are kept as data, shown as a sentence. */
function describe(action: AccessAction, details: Record<string, unknown>): string {
  switch (action) {
    case "user_created":
      return `as ${String(details.role)}`;
    case "role_changed":
      return `${String(details.from)} → ${String(details.to)}`;
    case "groups_changed":
      return `${list(details.from)} → ${list(details.to)}`;
    case "token_issued":
      return `“${String(details.token)}”, ${details.expiresAt ? `expires ${utc(new Date(String(details.expiresAt)))}` : "never expires"}`;
    case "token_revoked":
      return `“${String(details.token)}”${details.reason ? `: ${String(details.reason)}` : ""}`;
    case "user_deactivated":
      return String(details.reason ?? "");
    case "password_reset_issued":
      return details.expiresAt ? `link valid until ${utc(new Date(String(details.expiresAt)))}` : "";
    case "user_reactivated":
    case "password_reset":
      return "";
  }
}

export default async function AccessLogPage() {
  await requirePage("access:read");
  const changes = await recentAccessChanges(getDb());
  return (
    <div className="space-y-4">
      <LogHeading exportHref="/api/v1/access-changes?format=csv" title="Access log">Who created, deactivated or reactivated users, changed their roles or groups, issued or revoked their API tokens, or reset their passwords.</LogHeading>
      <LogTable caption="Access changes" columns={["When", "Change", "User", "Details", "By"]} empty={changes.length ? null : "No access changes yet."}>
        {changes.map((c) => (
          <tr key={c.id} className="align-top">
            <td className="px-3 py-2"><RelativeTime value={c.createdAt} /></td>
            <td className="px-3 py-2 font-medium">{actionLabels[c.action]}</td>
            <td className="px-3 py-2">{c.subjectEmail}</td>
            <td className="px-3 py-2">{describe(c.action, c.details)}</td>
            <td className="px-3 py-2">{c.actorLabel}</td>
          </tr>
        ))}
      </LogTable>
    </div>
  );
}
