import type { Metadata } from "next";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { can } from "@/lib/auth/permissions";
import { notificationEnv } from "@/lib/env";
import { getPreferences } from "@/lib/notifications/preferences";
import { listTokens } from "@/lib/users/tokens";
import { NotificationPreferencesForm } from "./notification-preferences";
import { TokensPanel } from "./tokens-panel";

export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  const user = await requirePage("tokens:own");
  const [tokens, preferences] = await Promise.all([listTokens(getDb(), user.id, user), can(user, "notifications:own") ? getPreferences(getDb(), user.id) : null]);
  return (
    <div className="max-w-4xl space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Your account</h1>
        <p className="text-sm text-slate-600">
          {user.name} · {user.email} · {user.role}
          {user.groups?.length ? ` · groups: ${user.groups.join(", ")}` : ""}
        </p>
      </div>
      {preferences && <NotificationPreferencesForm {...preferences} mailConfigured={notificationEnv().smtpUrl !== null} />}
      <TokensPanel userId={user.id} email={user.email} tokens={tokens} />
    </div>
  );
}
