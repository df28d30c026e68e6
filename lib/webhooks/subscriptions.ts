import "server-only";
import { randomBytes } from "node:crypto";
import { desc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "@/db/client";
import { webhookSubscriptions } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { eventTypes, isUuid } from "@/lib/domain";
import { notFound } from "@/lib/errors";
import { log } from "@/lib/log";
import { assertOutboundAllowed } from "@/lib/outbound";
import { optionalText } from "@/lib/text";
import { parseInput, type Untrusted } from "@/lib/validate";

/*
 * Admin-managed webhook subscriptions: where to send which outbox events, signed with whose
 * secret. Who may call these is the route's or action's `webhooks:manage`; the rules of what a
 * subscription may hold are here. Delivery is lib/webhooks/delivery.ts.
 */

const URL_MAX = 2000;

/** An http(s) URL, at most 2000 characters: where deliveries are POSTed. */
const urlSchema = z
  .string({ error: "Give the URL the events are sent to" })
  .trim()
  .min(1, "Give the URL the events are sent to")
  .max(URL_MAX, `Keep the URL to ${URL_MAX} characters`)
  .pipe(z.url({ protocol: /^https?$/, error: "Give a full http:// or https:// URL, like https://hooks.example.com/flowgate" }));

/** Event types to deliver: any of the outbox's (lib/domain.ts `eventTypes`), each once; none means all. */
const eventTypesSchema = z
  .array(z.enum(eventTypes, { error: `Choose among ${eventTypes.join(", ")}` }))
  .max(eventTypes.length)
  .transform((types) => [...new Set(types)])
  .meta({ description: "Outbox event types to deliver; empty (the default) delivers every type" });

const descriptionSchema = optionalText({ label: "Description", max: 500 });

export const createSubscriptionSchema = z.object({
  url: urlSchema,
  eventTypes: eventTypesSchema.default([]),
  description: descriptionSchema,
  active: z.boolean().default(true),
});

export const updateSubscriptionSchema = z.object({
  subscriptionId: z.string(),
  url: urlSchema.optional(),
  eventTypes: eventTypesSchema.optional(),
  // A blank description clears it; absent leaves it.
  description: z.union([z.literal(""), descriptionSchema]).optional(),
  active: z.boolean({ error: "active is true or false" }).optional(),
});

export const subscriptionIdSchema = z.object({ subscriptionId: z.string() });

/** A subscription as people and the API see it: everything but its secrets (current and previous). */
export type SubscriptionView = Omit<typeof webhookSubscriptions.$inferSelect, "secret" | "previousSecret">;

const viewColumns = {
  id: webhookSubscriptions.id,
  url: webhookSubscriptions.url,
  description: webhookSubscriptions.description,
  eventTypes: webhookSubscriptions.eventTypes,
  active: webhookSubscriptions.active,
  consecutiveFailures: webhookSubscriptions.consecutiveFailures,
  disabledAt: webhookSubscriptions.disabledAt,
  disabledReason: webhookSubscriptions.disabledReason,
  createdById: webhookSubscriptions.createdById,
  createdAt: webhookSubscriptions.createdAt,
  updatedAt: webhookSubscriptions.updatedAt,
  previousSecretExpiresAt: webhookSubscriptions.previousSecretExpiresAt,
};

/** A Standard Webhooks signing secret: `whsec_` and the base64 of 32 random bytes. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** Every subscription, newest first, without secrets. */
export async function listSubscriptions(db: DbOrTx): Promise<SubscriptionView[]> {
  return db.select(viewColumns).from(webhookSubscriptions).orderBy(desc(webhookSubscriptions.createdAt));
}

/** One subscription without its secret. Errors: 404 for an unknown or malformed id. */
export async function getSubscription(db: DbOrTx, subscriptionId: string): Promise<SubscriptionView> {
  if (!isUuid(subscriptionId)) throw notFound("Webhook");
  const [row] = await db.select(viewColumns).from(webhookSubscriptions).where(eq(webhookSubscriptions.id, subscriptionId));
  if (!row) throw notFound("Webhook");
  return row;
}

/**
 * Creates a subscription `{ url, eventTypes?, description?, active? }` with a fresh secret, and
 * returns it with the secret, which is shown this once. It receives the events created from now
 * on. Errors: 400 (`invalid`, per field).
 */
export async function createSubscription(db: Db, raw: Untrusted, by: SessionUser): Promise<{ view: SubscriptionView; secret: string }> {
  const input = parseInput(createSubscriptionSchema, raw);
  await assertOutboundAllowed(input.url, "url");
  const secret = generateSecret();
  const [view] = await db
    .insert(webhookSubscriptions)
    .values({ url: input.url, eventTypes: input.eventTypes, description: input.description ?? "", active: input.active, secret, createdById: by.id, ...(input.active ? {} : { disabledAt: new Date(), disabledReason: `Created disabled by ${by.email}` }) })
    .returning(viewColumns);
  log.info({ webhookId: view!.id, url: input.url, by: by.email }, "webhook created");
  return { view: view!, secret };
}

/**
 * Changes a subscription `{ subscriptionId, url?, eventTypes?, description?, active? }`. Disabling
 * records who did it as the reason; enabling clears the reason and the failure run, so the
 * deliveries that waited are tried again at once. Errors: 400 (per field), 404.
 */
export async function updateSubscription(db: Db, raw: Untrusted, by: SessionUser): Promise<SubscriptionView> {
  const input = parseInput(updateSubscriptionSchema, raw);
  if (!isUuid(input.subscriptionId)) throw notFound("Webhook");
  if (input.url !== undefined) await assertOutboundAllowed(input.url, "url");
  return db.transaction(async (tx) => {
    // Locked, like the delivery that records a failure: the failure run and an admin's switch serialise.
    const [current] = await tx.select({ active: webhookSubscriptions.active }).from(webhookSubscriptions).where(eq(webhookSubscriptions.id, input.subscriptionId)).for("update");
    if (!current) throw notFound("Webhook");
    const switched = input.active !== undefined && input.active !== current.active;
    const [row] = await tx
      .update(webhookSubscriptions)
      .set({
        ...(input.url !== undefined ? { url: input.url } : {}),
        ...(input.eventTypes !== undefined ? { eventTypes: input.eventTypes } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(switched && input.active ? { active: true, disabledAt: null, disabledReason: null, consecutiveFailures: 0 } : {}),
        ...(switched && !input.active ? { active: false, disabledAt: new Date(), disabledReason: `Disabled by ${by.email}` } : {}),
        updatedAt: new Date(),
      })
      .where(eq(webhookSubscriptions.id, input.subscriptionId))
      .returning(viewColumns);
    log.info({ webhookId: input.subscriptionId, by: by.email, active: row!.active }, "webhook changed");
    return row!;
  });
}

/** How long the old secret still signs after a rotation: 0 (at once), 1 hour, 1 day (default), 7 days. */
export const rotationOverlaps = { "0": 0, "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 } as const;

export const rotateSecretSchema = z.object({
  subscriptionId: z.string(),
  overlap: z.enum(Object.keys(rotationOverlaps) as [keyof typeof rotationOverlaps, ...(keyof typeof rotationOverlaps)[]], { error: "Choose how long the old secret keeps signing: 0, 1h, 24h or 7d" }).default("24h"),
});

/**
 * Gives a subscription a new signing secret, returned this once. For `overlap` after it, every
 * delivery carries two signatures in `webhook-signature` (the new secret's and the old one's,
 * space-separated, as Standard Webhooks allows), so a receiver still on the old secret keeps
 * verifying while it is switched over; then only the new one. A rotation during an overlap drops
 * the secret before the last. Errors: 404, 400 for an unknown overlap.
 */
export async function rotateSecret(db: Db, raw: Untrusted, by: SessionUser): Promise<{ view: SubscriptionView; secret: string }> {
  const input = parseInput(rotateSecretSchema, raw);
  if (!isUuid(input.subscriptionId)) throw notFound("Webhook");
  const secret = generateSecret();
  const overlapMs = rotationOverlaps[input.overlap];
  return db.transaction(async (tx) => {
    const [current] = await tx.select({ secret: webhookSubscriptions.secret }).from(webhookSubscriptions).where(eq(webhookSubscriptions.id, input.subscriptionId)).for("update");
    if (!current) throw notFound("Webhook");
    const [view] = await tx
      .update(webhookSubscriptions)
      .set({ secret, previousSecret: overlapMs ? current.secret : null, previousSecretExpiresAt: overlapMs ? new Date(Date.now() + overlapMs) : null, updatedAt: new Date() })
      .where(eq(webhookSubscriptions.id, input.subscriptionId))
      .returning(viewColumns);
    log.info({ webhookId: input.subscriptionId, by: by.email, overlap: input.overlap }, "webhook secret rotated");
    return { view: view!, secret };
  });
}

/** Deletes a subscription with its deliveries and their log. Returns what it was. Errors: 404. */
export async function deleteSubscription(db: Db, raw: Untrusted, by: SessionUser): Promise<SubscriptionView> {
  const { subscriptionId } = parseInput(subscriptionIdSchema, raw);
  if (!isUuid(subscriptionId)) throw notFound("Webhook");
  const [row] = await db.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, subscriptionId)).returning(viewColumns);
  if (!row) throw notFound("Webhook");
  log.info({ webhookId: subscriptionId, by: by.email }, "webhook deleted");
  return row;
}
