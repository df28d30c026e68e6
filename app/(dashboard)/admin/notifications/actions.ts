"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { createChannel, deleteChannel, setChannelActive } from "@/lib/notifications/channels";

const done = (state: ActionState) => {
  if (state.status === "success") revalidatePath("/admin/notifications");
  return state;
};

/** Adds a chat channel; kinds repeat one name, so they are read here (runAction keeps one value per name). */
export async function createChannelAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("notifications:manage", formData, async ({ db, user, form }) => {
    const kinds = formData.getAll("kinds").filter((v): v is string => typeof v === "string");
    const row = await createChannel(db, { name: form.name ?? "", url: form.url ?? "", kinds }, user);
    return `Added the channel “${row.name}”`;
  }));
}

export async function setChannelActiveAction(id: string, active: boolean, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("notifications:manage", formData, async ({ db, user }) => {
    const row = await setChannelActive(db, id, active, user);
    return row.active ? `Enabled “${row.name}”` : `Disabled “${row.name}”`;
  }));
}

export async function deleteChannelAction(id: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("notifications:manage", formData, async ({ db, user }) => `Deleted “${(await deleteChannel(db, id, user)).name}”`));
}
