import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { WorkerSettings } from "./worker";

const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === "" ? undefined : v), schema.optional());
const ms = (fallback: number) => z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().positive().default(fallback));

/** The worker's settings, from the environment, validated once at start; a bad value names itself. */
const schema = z.object({
  DATABASE_URL: z.string().url({ message: "DATABASE_URL must be a postgres:// URL; `npm start` sets it" }),
  FLOWGATE_WORKER_ID: optional(z.string().min(1).max(100)),
  FLOWGATE_WORKER_CONCURRENCY: z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().min(1).max(500).default(10)),
  FLOWGATE_CLAIM_BATCH: optional(z.coerce.number().int().min(1).max(500)),
  FLOWGATE_LEASE_MS: ms(30_000),
  FLOWGATE_HEARTBEAT_MS: optional(z.coerce.number().int().positive()),
  FLOWGATE_POLL_MS: ms(1_000),
  FLOWGATE_HOOK_TIMEOUT_MS: ms(30_000),
  FLOWGATE_SHUTDOWN_GRACE_MS: ms(10_000),
  /** A module exporting `catalog` (tests point this at their own workflows). */
  FLOWGATE_CATALOG: optional(z.string().min(1)),
  FLOWGATE_DEMO_DRIVER: optional(z.enum(["0", "1"])),
  /** Connections of this worker's pool (postgres.js opens one more for LISTEN); default from the concurrency. */
  FLOWGATE_DB_POOL: optional(z.coerce.number().int().min(2).max(200)),
});

export type WorkerConfig = WorkerSettings & {
  databaseUrl: string;
  catalogModule: string | undefined;
  demoDriver: boolean;
  /** Most connections the worker's pool opens; see workerPoolSize. */
  poolSize: number;
};

/**
 * A worker's pool size when FLOWGATE_DB_POOL is unset: claims, settles, heartbeats and hooks
 * overlap, so 4 plus one per 4 concurrent steps, at most 20.
 * What a deployment must budget in `max_connections` (README: Running across machines).
 */
export const workerPoolSize = (concurrency: number): number => Math.min(20, 4 + Math.ceil(concurrency / 4));

export function workerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid worker environment: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    workerId: e.FLOWGATE_WORKER_ID ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    concurrency: e.FLOWGATE_WORKER_CONCURRENCY,
    claimBatch: e.FLOWGATE_CLAIM_BATCH ?? e.FLOWGATE_WORKER_CONCURRENCY,
    leaseMs: e.FLOWGATE_LEASE_MS,
    // Three beats per lease: one lost beat (a GC pause, a slow query) never costs the lease.
    heartbeatMs: e.FLOWGATE_HEARTBEAT_MS ?? Math.max(50, Math.floor(e.FLOWGATE_LEASE_MS / 3)),
    pollMs: e.FLOWGATE_POLL_MS,
    hookTimeoutMs: e.FLOWGATE_HOOK_TIMEOUT_MS,
    shutdownGraceMs: e.FLOWGATE_SHUTDOWN_GRACE_MS,
    catalogModule: e.FLOWGATE_CATALOG,
    demoDriver: e.FLOWGATE_DEMO_DRIVER === "1",
    poolSize: e.FLOWGATE_DB_POOL ?? workerPoolSize(e.FLOWGATE_WORKER_CONCURRENCY),
  };
}
