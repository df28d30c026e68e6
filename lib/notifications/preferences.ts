import "server-only";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { notificationPreferences, personalNotificationKinds } from "@/db/schema";
import type { SessionUser } from "@/lib/auth/permissions";
import { log } from "@/lib/log";
import { assertOutboundAllowed } from "@/lib/outbound";
import { parseInput, type Untrusted } from "@/lib/validate";

/** A person's choices: mail on or off, chat on or off (with their incoming-webhook URL), and which kinds. */
export type PreferencesView = { email: boolean; chat: boolean; chatWebhookUrl: string | null; kinds: string[] };

/** What a person gets before choosing: mail for every kind, no chat. */
export const defaultPreferences: PreferencesView = { email: true, chat: false, chatWebhookUrl: null, kinds: [...personalNotificationKinds] };

const URL_MAX = 2000;

/**
 * A Slack-compatible incoming-webhook URL (http or https, at most 2000 characters): where chat
 * notifications are POSTed. Shared by people's preferences and admins' channels.
 */
export const chatUrlSchema = z
  .string({ error: "Give the incoming webhook URL" })
  .trim()
  .min(1, "Give the incoming webhook URL")
  .max(URL_MAX, `Keep the URL to ${URL_MAX} characters`)
  .pipe(z.url({ protocol: /^https?$/, error: "Give a full http:// or https:// URL, like https://hooks.slack.com/services/…" }));

/** Which kinds a person receives: any of personalNotificationKinds, each once. */
export const personalKindsSchema = z
  .array(z.enum(personalNotificationKinds, { error: `Choose among ${personalNotificationKinds.join(", ")}` }))
  .max(personalNotificationKinds.length)
  .transform((kinds) => [...new Set(kinds)]);

/** The preferences form and body: chat on needs a URL; a blank URL with chat off clears it. */
export const preferencesSchema = z
  .object({
    email: z.boolean({ error: "email is true or false" }),
    chat: z.boolean({ error: "chat is true or false" }),
    chatWebhookUrl: z.union([z.literal("").transform(() => null), chatUrlSchema]).nullable().default(null),
    kinds: personalKindsSchema,
  })
  .superRefine((v, ctx) => {
    if (v.chat && !v.chatWebhookUrl) ctx.addIssue({ code: "custom", path: ["chatWebhookUrl"], message: "Chat is on: give the incoming webhook URL it posts to" });
  });

/** The user's preferences, or the defaults when they never chose. */
export async function getPreferences(db: DbOrTx, userId: string): Promise<PreferencesView> {
  const [row] = await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId));
  return row ? { email: row.email, chat: row.chat, chatWebhookUrl: row.chatWebhookUrl, kinds: row.kinds } : defaultPreferences;
}

/**
 * Saves the caller's own preferences (one row per user, replaced whole). Errors: 400 with the
 * field (`chatWebhookUrl`, `kinds`, …) when the input does not fit preferencesSchema.
 */
export async function savePreferences(db: DbOrTx, raw: Untrusted, user: SessionUser): Promise<PreferencesView> {
  const input = parseInput(preferencesSchema, raw);
  if (input.chatWebhookUrl) await assertOutboundAllowed(input.chatWebhookUrl, "chatWebhookUrl");
  const values = { email: input.email, chat: input.chat, chatWebhookUrl: input.chatWebhookUrl, kinds: input.kinds, updatedAt: new Date() };
  await db.insert(notificationPreferences).values({ userId: user.id, ...values }).onConflictDoUpdate({ target: notificationPreferences.userId, set: values });
  log.info({ user: user.email, email: input.email, chat: input.chat, kinds: input.kinds }, "notification preferences saved");
  return { email: input.email, chat: input.chat, chatWebhookUrl: input.chatWebhookUrl, kinds: input.kinds };
}
