import type { Metadata } from "next";
import Link from "next/link";
import { getDb } from "@/db/client";
import { resetLinkAccount } from "@/lib/users/password-reset";
import { ResetForm } from "./reset-form";

export const metadata: Metadata = { title: "Reset your password" };
export const dynamic = "force-dynamic";

/** Opened from a one-time link an admin issued (`?token=`); public, since the token is the credential. */
export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = (await searchParams).token;
  const token = typeof raw === "string" ? raw : "";
  const account = await resetLinkAccount(getDb(), token);
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <div className="w-full max-w-sm space-y-6">
        <div className="text-center">
          <h1 className="text-2xl font-semibold tracking-tight">Reset your password</h1>
          {account && <p className="mt-1 text-sm text-slate-600">for {account.email}</p>}
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          {account ? (
            <ResetForm token={token} />
          ) : (
            <div className="space-y-3 text-sm">
              <p role="alert" className="rounded-md bg-red-50 p-3 text-red-800">
                This reset link is not valid, was used already or has expired; ask an admin for a new one.
              </p>
              <Link href="/sign-in" className="font-medium text-indigo-700 underline">
                Back to sign-in
              </Link>
            </div>
          )}
        </div>
      </div>
    </main>
  );
}
