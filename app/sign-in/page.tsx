import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { DEMO_PASSWORD, demoUsers } from "@/db/seed-users";
import { currentUser } from "@/lib/auth/current-user";
import { isDemoMode } from "@/lib/env";
import { safeReturnPath } from "@/lib/return-to";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const asked = (await searchParams).next;
  const next = safeReturnPath(Array.isArray(asked) ? asked[0] : asked);
  if (await currentUser()) redirect(next ?? "/instances");
  const demo = isDemoMode();
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm space-y-6">
        <div className="text-center">
          <h1 className="text-2xl font-semibold tracking-tight">Flowgate</h1>
          <p className="mt-1 text-sm text-slate-600">Pause, resume and sign off running workflows.</p>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <SignInForm next={next} />
        </div>
        {demo && (
          <section aria-labelledby="demo-heading" className="rounded-lg border border-dashed border-slate-300 bg-white p-4 text-sm">
            <h2 id="demo-heading" className="font-medium">
              Demo sign-ins
            </h2>
            <p className="mt-1 text-slate-600">
              Password for all: <code className="font-mono">{DEMO_PASSWORD}</code>
            </p>
            <ul className="mt-2 space-y-1">
              {demoUsers.map((u) => (
                <li key={u.email} className="flex justify-between gap-2">
                  <code className="font-mono text-slate-800">{u.email}</code>
                  <span className="text-slate-500">{u.role}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </main>
  );
}
