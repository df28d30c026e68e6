"use server";

import { getDb } from "@/db/client";
import type { ActionState } from "@/lib/action-state";
import { knownError } from "@/lib/db-unavailable";
import { log } from "@/lib/log";
import { resetPassword } from "@/lib/users/password-reset";

/** Sets a new password with the link's token; public, since the link is the credential. */
export async function resetPasswordAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const form = { token: String(formData.get("token") ?? ""), password: String(formData.get("password") ?? ""), confirm: String(formData.get("confirm") ?? "") };
  try {
    const { email } = await resetPassword(getDb(), form);
    log.info({ user: email }, "password reset");
    return { status: "success", message: `The password of ${email} is changed, and every session of it was ended. Sign in with the new password.`, at: Date.now() };
  } catch (error) {
    const known = knownError(error);
    // Passwords are never echoed back into the page.
    if (known) return { status: "error", message: known.message, fields: known.fields, at: Date.now() };
    log.error({ err: error }, "password reset failed");
    return { status: "error", message: "Something went wrong on our side; it has been logged", at: Date.now() };
  }
}
