"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { savePreferences } from "@/lib/notifications/preferences";
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

/** Saves the caller's notification preferences; checkboxes come as "on" or absent, kinds repeat one name. */
export async function saveNotificationPreferencesAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  const state = await runAction("notifications:own", formData, async ({ db, user, form }) => {
    const kinds = formData.getAll("kinds").filter((v): v is string => typeof v === "string");
    await savePreferences(db, { email: form.email === "on", chat: form.chat === "on", chatWebhookUrl: form.chatWebhookUrl ?? "", kinds }, user);
    return "Notification preferences saved";
  });
  if (state.status === "success") revalidatePath("/account");
  return state;
}
