import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ReasonDialog } from "@/components/reason-dialog";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { AppError } from "@/lib/errors";
import { getUser } from "@/lib/users/manage-users";
import { listTokens } from "@/lib/users/tokens";
import { TokensPanel } from "../../../account/tokens-panel";
import { deactivateUserAction } from "../actions";
import { PasswordResetForm, ReactivateForm } from "../user-forms";

export const metadata: Metadata = { title: "User" };

export default async function UserPage({ params }: { params: Promise<{ id: string }> }) {
  const admin = await requirePage("users:manage");
  const { id } = await params;
  const user = await getUser(getDb(), id).catch((error: unknown) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  const tokens = await listTokens(getDb(), user.id, admin);
  const self = user.id === admin.id;
  return (
    <div className="max-w-4xl space-y-4">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link href="/admin/users" className="text-indigo-700 underline-offset-2 hover:underline">
          Users
        </Link>{" "}
        / {user.email}
      </nav>
      <div>
        <h1 className="text-xl font-semibold tracking-tight">{user.name}</h1>
        <p className="text-sm text-slate-600">
          {user.email} · {user.role}
          {user.groups.length ? ` · groups: ${user.groups.join(", ")}` : ""} · since <RelativeTime value={user.createdAt} />
        </p>
      </div>
      <section aria-labelledby="status-heading" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="status-heading" className="font-semibold">Account</h2>
        {user.deactivatedAt ? (
          <>
            <p role="status" className="rounded-md bg-red-50 p-3 text-sm text-red-900">
              Deactivated <RelativeTime value={user.deactivatedAt} />: {user.deactivationReason}. They cannot sign in, and their API tokens do not work.
            </p>
            <ReactivateForm userId={user.id} />
          </>
        ) : (
          <>
            <p className="text-sm text-slate-700">Active. Deactivating ends their sessions at once and stops their API tokens until they are reactivated; what they did stays in the history.</p>
            <div className="flex flex-wrap items-start gap-3">
              {self ? (
                <p className="text-sm text-slate-600">You cannot deactivate your own account.</p>
              ) : (
                <ReasonDialog
                  title={`Deactivate ${user.email}?`}
                  description="Their sessions end now; sign-in and their API tokens are refused until an admin reactivates the account."
                  triggerLabel="Deactivate"
                  triggerVariant="danger"
                  submitLabel="Deactivate account"
                  action={deactivateUserAction.bind(null, user.id)}
                  reasonLabel="Reason"
                  reasonRequired
                  requiredMessage="Say why the account is deactivated"
                />
              )}
              <PasswordResetForm userId={user.id} email={user.email} />
            </div>
          </>
        )}
      </section>
      <TokensPanel userId={user.id} email={user.email} tokens={tokens} />
    </div>
  );
}
