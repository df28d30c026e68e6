"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { changeRole, createUser, deactivateUser, reactivateUser, setGroups } from "@/lib/users/manage-users";
import { issuePasswordReset, RESET_PATH } from "@/lib/users/password-reset";

const done = (state: ActionState) => {
  if (state.status === "success") revalidatePath("/admin/users");
  return state;
};

export async function createUserAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("users:manage", formData, async ({ db, user, form }) => `Created ${(await createUser(db, form, user)).email}`));
}

export async function changeRoleAction(userId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("users:manage", formData, async ({ db, user, form }) => {
    const row = await changeRole(db, { userId, role: form.role }, user);
    return `${row.email} is now ${row.role}; their sessions were ended`;
  }));
}

export async function deactivateUserAction(userId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("users:manage", formData, async ({ db, user, form }) => {
    const row = await deactivateUser(db, { userId, reason: form.reason }, user);
    revalidatePath(`/admin/users/${userId}`);
    return `${row.email} is deactivated; their sessions were ended and their tokens stop working`;
  }));
}

export async function reactivateUserAction(userId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("users:manage", formData, async ({ db, user }) => {
    const row = await reactivateUser(db, { userId }, user);
    revalidatePath(`/admin/users/${userId}`);
    return `${row.email} is active again`;
  }));
}

/** The success message is the reset link's path with its token (the page makes it absolute), shown once. */
export async function passwordResetAction(userId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("users:manage", formData, async ({ db, user }) => {
    const { token } = await issuePasswordReset(db, { userId }, user);
    return `${RESET_PATH}?token=${encodeURIComponent(token)}`;
  }));
}

export async function setGroupsAction(userId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("users:manage", formData, async ({ db, user, form }) => {
    const row = await setGroups(db, { userId, groups: form.groups ?? "" }, user);
    return row.groups.length ? `Groups: ${row.groups.join(", ")}` : "No groups";
  }));
}
