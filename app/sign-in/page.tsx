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
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm space-y-6">
        <div className="text-center">
          <h1 className="text-2xl font-semibold tracking-tight">Flowgate</h1>
          <p className="mt-1 text-sm text-slate-600">Pause, resume and sign off running workflows.</p>
        </div>
        <SignInForm next={next} demo={isDemoMode() ? { accounts: demoUsers.map(({ email, role }) => ({ email, role })), password: DEMO_PASSWORD } : null} />
      </div>
    </main>
  );
}
