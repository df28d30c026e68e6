import type { Metadata } from "next";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { listTokens } from "@/lib/users/tokens";
import { TokensPanel } from "./tokens-panel";

export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  const user = await requirePage("tokens:own");
  const tokens = await listTokens(getDb(), user.id, user);
  return (
    <div className="max-w-4xl space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Your account</h1>
        <p className="text-sm text-slate-600">
          {user.name} · {user.email} · {user.role}
          {user.groups?.length ? ` · groups: ${user.groups.join(", ")}` : ""}
        </p>
      </div>
      <TokensPanel userId={user.id} email={user.email} tokens={tokens} />
    </div>
  );
}
