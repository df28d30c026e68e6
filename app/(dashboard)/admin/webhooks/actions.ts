"use server";

import { revalidatePath } from "next/cache";
import type { ActionState } from "@/lib/action-state";
import { runAction } from "@/lib/actions";
import { replayDelivery } from "@/lib/webhooks/deliveries";
import { createSubscription, deleteSubscription, rotateSecret, updateSubscription } from "@/lib/webhooks/subscriptions";

const done = (state: ActionState, id?: string) => {
  if (state.status === "success") {
    revalidatePath("/admin/webhooks");
    if (id) revalidatePath(`/admin/webhooks/${id}`);
  }
  return state;
};

/** Checkboxes repeat one name; runAction's form keeps one value per name, so the types are read here. */
const typesOf = (formData: FormData) => formData.getAll("eventTypes").filter((v): v is string => typeof v === "string");

/** The success message is the new subscription's secret, which the form shows this once. */
export async function createWebhookAction(_prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("webhooks:manage", formData, async ({ db, user, form }) => {
    const { secret } = await createSubscription(db, { url: form.url, description: form.description ?? "", eventTypes: typesOf(formData) }, user);
    return secret;
  }));
}

export async function updateWebhookAction(id: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("webhooks:manage", formData, async ({ db, user, form }) => {
    await updateSubscription(db, { subscriptionId: id, url: form.url, description: form.description ?? "", eventTypes: typesOf(formData) }, user);
    return "Saved";
  }), id);
}

export async function setWebhookActiveAction(id: string, active: boolean, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("webhooks:manage", formData, async ({ db, user }) => {
    const row = await updateSubscription(db, { subscriptionId: id, active }, user);
    return row.active ? `Enabled ${row.url}` : `Disabled ${row.url}`;
  }), id);
}

export async function deleteWebhookAction(id: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("webhooks:manage", formData, async ({ db, user }) => `Deleted ${(await deleteSubscription(db, { subscriptionId: id }, user)).url}`));
}

export async function replayDeliveryAction(subscriptionId: string, deliveryId: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("webhooks:manage", formData, async ({ db, user }) => {
    await replayDelivery(db, { deliveryId }, user);
    return "Replay queued: the worker sends it with the same webhook-id";
  }), subscriptionId);
}

/** Rotates the signing secret; the success message is the new secret, which the form shows this once. */
export async function rotateSecretAction(id: string, _prev: ActionState, formData: FormData): Promise<ActionState> {
  return done(await runAction("webhooks:manage", formData, async ({ db, user, form }) => (await rotateSecret(db, { subscriptionId: id, overlap: form.overlap }, user)).secret), id);
}
