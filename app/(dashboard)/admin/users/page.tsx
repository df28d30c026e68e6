import type { Metadata } from "next";
import Link from "next/link";
import { RelativeTime } from "@/components/relative-time";
import { getDb } from "@/db/client";
import { requirePage } from "@/lib/auth/current-user";
import { listUsers } from "@/lib/users/manage-users";
import { CreateUserForm, GroupsForm, RoleForm, TokenForm } from "./user-forms";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  await requirePage("users:manage");
  const users = await listUsers(getDb());
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-xl font-semibold tracking-tight">Users</h1>
        <p className="text-sm text-slate-600">
          Auditors read; operators pause, resume, start and cancel; approvers sign gates; admins do all and manage users. Every change here is recorded in the{" "}
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
              <th scope="col" className="px-3 py-2">API tokens</th>
              <th scope="col" className="px-3 py-2">Since</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {users.map((u) => (
              <tr key={u.id} className="align-top">
                <th scope="row" className="px-3 py-2 text-left font-normal">
                  <span className="font-medium">{u.name}</span>
                  <span className="block text-slate-600">{u.email}</span>
                </th>
                <td className="px-3 py-2"><RoleForm userId={u.id} email={u.email} role={u.role} /></td>
                <td className="px-3 py-2"><GroupsForm userId={u.id} email={u.email} groups={u.groups} /></td>
                <td className="px-3 py-2">
                  <span className="mr-2 text-slate-600">{u.tokens}</span>
                  <TokenForm userId={u.id} email={u.email} />
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
