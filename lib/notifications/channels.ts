import "server-only";
import { desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { notificationAttempts, notificationChannels, notificationKinds, notifications, type Notification, type NotificationChannel } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { isUuid } from "@/lib/domain";
import { notFound } from "@/lib/errors";
import { log } from "@/lib/log";
import { assertOutboundAllowed } from "@/lib/outbound";
import { requiredText } from "@/lib/text";
import { parseInput, type Untrusted } from "@/lib/validate";
import { chatUrlSchema } from "./preferences";

/*
 * Admin-configured chat channels (a team's incoming webhook) and the notification log. Who may
 * call these is the page's or action's `notifications:manage`; the rules of what a channel holds are here.
 */

export const createChannelSchema = z.object({
  name: requiredText({ label: "Name", max: 100, required: "Give the channel a name" }),
  url: chatUrlSchema,
  kinds: z
    .array(z.enum(notificationKinds, { error: `Choose among ${notificationKinds.join(", ")}` }))
    .min(1, "Choose at least one kind of notification")
    .max(notificationKinds.length)
    .transform((kinds) => [...new Set(kinds)]),
});

/** Every channel, newest first. */
export function listChannels(db: DbOrTx): Promise<NotificationChannel[]> {
  return db.select().from(notificationChannels).orderBy(desc(notificationChannels.createdAt));
}

/** Adds a channel. Errors: 400 naming the field (name, url, kinds). */
export async function createChannel(db: DbOrTx, raw: Untrusted, by: SessionUser): Promise<NotificationChannel> {
  const input = parseInput(createChannelSchema, raw);
  await assertOutboundAllowed(input.url, "url");
  const [row] = await db.insert(notificationChannels).values({ ...input, createdById: by.id }).returning();
  log.info({ channelId: row!.id, by: by.email, kinds: input.kinds }, "notification channel created");
  return row!;
}

/** Switches a channel on or off. Errors: 404. */
export async function setChannelActive(db: DbOrTx, channelId: string, active: boolean, by: SessionUser): Promise<NotificationChannel> {
  if (!isUuid(channelId)) throw notFound("Channel");
  const [row] = await db.update(notificationChannels).set({ active }).where(eq(notificationChannels.id, channelId)).returning();
  if (!row) throw notFound("Channel");
  log.info({ channelId, by: by.email, active }, "notification channel switched");
  return row;
}

/** Deletes a channel with its notifications and their attempts. Errors: 404. */
export async function deleteChannel(db: DbOrTx, channelId: string, by: SessionUser): Promise<NotificationChannel> {
  if (!isUuid(channelId)) throw notFound("Channel");
  const [row] = await db.delete(notificationChannels).where(eq(notificationChannels.id, channelId)).returning();
  if (!row) throw notFound("Channel");
  log.info({ channelId, by: by.email }, "notification channel deleted");
  return row;
}

type AttemptRow = typeof notificationAttempts.$inferSelect;

/** A notification as the log shows it: the row without its lease and rendered bodies, with its attempts (oldest first). */
export type NotificationLogItem = Omit<Notification, "leaseToken" | "message"> & { attemptLog: Omit<AttemptRow, "notificationId">[] };

export const notificationLogQuery = z.object({
  limit: z.coerce.number({ error: "limit is a number from 1 to 200" }).int().min(1, "limit is a number from 1 to 200").max(200, "limit is a number from 1 to 200").default(100),
});

/** The newest notifications (`limit`, 1–200, default 100), newest first, each with its attempts. */
export async function notificationLog(db: DbOrTx, raw: Untrusted = {}): Promise<NotificationLogItem[]> {
  const { limit } = parseInput(notificationLogQuery, raw);
  const rows = await db.select().from(notifications).orderBy(desc(notifications.createdAt), desc(notifications.id)).limit(limit);
  const attempts = rows.length ? await db.select().from(notificationAttempts).where(inArray(notificationAttempts.notificationId, rows.map((r) => r.id))).orderBy(notificationAttempts.id) : [];
  return rows.map(({ leaseToken: _lease, message: _message, ...row }) => ({
    ...row,
    attemptLog: attempts.filter((a) => a.notificationId === row.id).map(({ notificationId: _n, ...a }) => a),
  }));
}
