import type { Metadata } from "next";
import Link from "next/link";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { listUsers } from "@/lib/users/manage-users";
import { CreateUserForm, GroupsForm, RoleForm } from "./user-forms";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  await requirePage("users:manage");
  const users = await listUsers(getDb());
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Users</h1>
        <p className="text-sm text-slate-600">
          Auditors read; operators pause, resume, start and cancel; approvers sign gates; admins do all and manage users. Open a user to deactivate them, issue a password reset link or manage their API tokens. Every change here is recorded in the{" "}
          <Link href="/history/access" className="text-indigo-700 underline">
            access log
          </Link>
          .
        </p>
      </div>
      <section className="rounded-lg border border-slate-200 bg-white p-4">
        <CreateUserForm />
      </section>
      <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Users</caption>
          <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-600">
            <tr>
              <th scope="col" className="px-3 py-2">User</th>
              <th scope="col" className="px-3 py-2">Role</th>
              <th scope="col" className="px-3 py-2">Groups</th>
              <th scope="col" className="px-3 py-2">Status</th>
              <th scope="col" className="px-3 py-2">API tokens</th>
              <th scope="col" className="px-3 py-2">Since</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {users.map((u) => (
              <tr key={u.id} className="align-top">
                <th scope="row" className="px-3 py-2 text-left font-normal">
                  <Link href={`/admin/users/${u.id}`} className="font-medium text-indigo-700 underline-offset-2 hover:underline">
                    {u.name}
                  </Link>
                  <span className="block text-slate-600">{u.email}</span>
                </th>
                <td className="px-3 py-2"><RoleForm userId={u.id} email={u.email} role={u.role} /></td>
                <td className="px-3 py-2"><GroupsForm userId={u.id} email={u.email} groups={u.groups} /></td>
                <td className="px-3 py-2">
                  {u.deactivatedAt ? (
                    <span className="rounded bg-red-50 px-1.5 py-0.5 text-xs text-red-800">Deactivated</span>
                  ) : (
                    <span className="rounded bg-emerald-50 px-1.5 py-0.5 text-xs text-emerald-800">Active</span>
                  )}
                </td>
                <td className="px-3 py-2">
                  <Link href={`/admin/users/${u.id}`} className="text-indigo-700 underline-offset-2 hover:underline" aria-label={`API tokens of ${u.email}: ${u.activeTokens} active`}>
                    {u.activeTokens} active
                  </Link>
                </td>
                <td className="px-3 py-2"><RelativeTime value={u.createdAt} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
