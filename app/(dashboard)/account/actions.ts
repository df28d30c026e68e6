"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { issueToken, revokeToken } from "@/lib/users/tokens";

// Tokens show on the account page (your own) and on an admin's page of the user.
const done = (state: ActionState, userId: string) => {
  if (state.status === "success") {
    revalidatePath("/account");
    revalidatePath(`/admin/users/${userId}`);
    revalidatePath("/admin/users");
  }
  return state;
};

/** Issues a token; the success message is the token itself, shown once. */
export async function issueTokenAction(userId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("tokens:own", formData, async ({ db, user, form }) => (await issueToken(db, { userId, name: form.name, expiresInDays: form.expiresInDays }, user)).token), userId);
}

export async function revokeTokenAction(userId: string, tokenId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("tokens:own", formData, async ({ db, user, form }) => {
    const token = await revokeToken(db, { tokenId, reason: form.reason }, user);
    return `Revoked “${token.name}”; it no longer works`;
  }), userId);
}
