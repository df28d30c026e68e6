"use server";

import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { z } from "zod";
import { getDb } from "@/db/client";
import { SESSION_COOKIE, signIn, signOut } from "@/lib/auth/sessions";
import { knownError } from "@/lib/db-unavailable";
import { safeReturnPath } from "@/lib/return-to";
import { fieldErrors } from "@/lib/validate";
import type { ActionState } from "@/lib/action-state";

const credentials = z.object({
  email: z.string().trim().min(1, "Enter your email").email("Enter a valid email address").max(200),
  password: z.string().min(1, "Enter your password").max(200),
});

export async function signInAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const parsed = credentials.safeParse({ email: formData.get("email"), password: formData.get("password") });
  const values = { email: String(formData.get("email") ?? "") };
  if (!parsed.success) return { status: "error", fields: fieldErrors(parsed.error), values };
  try {
    const session = await signIn(getDb(), parsed.data.email, parsed.data.password);
    (await cookies()).set(SESSION_COOKIE, session.token, {
      httpOnly: true,
      sameSite: "lax",
      secure: process.env.NODE_ENV === "production" && process.env.FLOWGATE_INSECURE_COOKIES !== "1",
      path: "/",
      expires: session.expiresAt,
    });
  } catch (error) {
    const known = knownError(error);
    if (known) return { status: "error", message: known.message, fields: known.fields, values };
    throw error;
  }
  // Back to the page that sent the person here, when it is one of ours; anything else (another
  // origin, a protocol-relative `//host`) is ignored rather than followed: no open redirect.
  redirect(safeReturnPath(formData.get("next")) ?? "/instances");
}

export async function signOutAction(): Promise<void> {
  const jar = await cookies();
  const token = jar.get(SESSION_COOKIE)?.value;
  if (token) await signOut(getDb(), token);
  jar.delete(SESSION_COOKIE);
  redirect("/sign-in");
}
