import { z } from "zod";

// Empty strings count as unset, so `DATABASE_URL= npm start` behaves like no variable at all.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: optional(z.string().url()),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  FLOWGATE_DEMO: optional(z.enum(["0", "1"])),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  // Seconds to wait for a new database connection before the request fails as 503 (db/client.ts).
  FLOWGATE_DB_CONNECT_TIMEOUT_S: z.coerce.number().int().min(1).max(60).default(5),
  // Connections of one dashboard process's pool (pages, actions, API routes); postgres.js opens one more for LISTEN (/api/v1/stream).
  FLOWGATE_DB_POOL: z.coerce.number().int().min(2).max(200).default(10),
  // Milliseconds between a list's polls while its live stream (/api/v1/stream) is down; none while it is up.
  FLOWGATE_FALLBACK_POLL_MS: z.coerce.number().int().min(1_000).default(10_000),
  // Milliseconds one dashboard statement may run before PostgreSQL cancels it (0 = no limit).
  FLOWGATE_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  // Notifications (lib/notifications): the mail server, the sender, and the dashboard's address for links.
  // Unset SMTP: no mail is sent (chat still is). smtp:// upgrades with STARTTLS when offered; smtps:// is TLS from the start.
  FLOWGATE_SMTP_URL: optional(z.string().url().refine((v) => /^smtps?:\/\//.test(v), "FLOWGATE_SMTP_URL must start with smtp:// or smtps://")),
  FLOWGATE_MAIL_FROM: z.string().min(3).default("Flowgate <flowgate@localhost>"),
  // CIDRs the SSRF guard lets webhooks and chat call although private (lib/outbound.ts parses them).
  FLOWGATE_OUTBOUND_ALLOW: optional(z.string().regex(/^\s*[0-9a-f:.]+(\/\d{1,3})?\s*(,\s*[0-9a-f:.]+(\/\d{1,3})?\s*)*$/i, "FLOWGATE_OUTBOUND_ALLOW is a comma-separated list of addresses or CIDRs, like 10.0.0.0/8,127.0.0.1/32")),
  // Days finished webhook deliveries and notifications (and their attempt logs) are kept.
  FLOWGATE_DELIVERY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  FLOWGATE_PUBLIC_URL: optional(z.string().url().refine((v) => /^https?:\/\//.test(v), "FLOWGATE_PUBLIC_URL must be an http(s) URL")),
});

export type Env = z.infer<typeof schema>;

let cached: Env | undefined;

/** The environment, validated once; a bad value stops the process with the field named. */
export function env(): Env {
  if (!cached) {
    const parsed = schema.safeParse(process.env);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      throw new Error(`Invalid environment: ${fields}`);
    }
    cached = parsed.data;
  }
  return cached;
}

/**
 * What the notification loop needs from the environment: the SMTP URL (null: mail is off), the
 * From address, the dashboard's public base URL for deep links (default http://localhost:PORT),
 * and how long finished deliveries are kept, in milliseconds.
 */
export function notificationEnv(): { smtpUrl: string | null; mailFrom: string; publicUrl: string; retentionMs: number } {
  const e = env();
  return { smtpUrl: e.FLOWGATE_SMTP_URL ?? null, mailFrom: e.FLOWGATE_MAIL_FROM, retentionMs: e.FLOWGATE_DELIVERY_RETENTION_DAYS * 86_400_000, publicUrl: (e.FLOWGATE_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "") };
}

/** Demo mode seeds and advertises the demo sign-ins; it is never on unless asked for or embedded. */
export function isDemoMode(): boolean {
  return env().FLOWGATE_DEMO === "1";
}
