"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { changeRole, createUser, issueToken, setGroups } from "@/lib/users/manage-users";

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

export async function issueTokenAction(userId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("users:manage", formData, async ({ db, user, form }) => issueToken(db, { userId, name: form.name }, user)));
}

export async function setGroupsAction(userId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("users:manage", formData, async ({ db, user, form }) => {
    const row = await setGroups(db, { userId, groups: form.groups ?? "" }, user);
    return row.groups.length ? `Groups: ${row.groups.join(", ")}` : "No groups";
  }));
}
