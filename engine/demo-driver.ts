import { inArray, sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Db } from "@/db/client";
import { instances } from "@/db/schema";
import { startScheduleActor } from "@/lib/actors";
import { AppError } from "@/lib/errors";
import { startInstance } from "@/lib/instances/start-instance";
import type { RegisteredWorkflow } from "@/lib/workflows/sdk";

/** Caps that keep a demo left running for days from filling the disk: active work and total rows. */
const MAX_ACTIVE = 12;
const MAX_TOTAL = 400;

const services = ["checkout-api", "search-indexer", "billing-service", "notifications", "inventory-sync", "auth-gateway"];
const databases = ["orders", "inventory", "customers", "payments"];
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** Inputs the demo workflows accept; unknown workflows start with their schema's defaults. */
function demoInput(key: string): Record<string, unknown> {
  if (key === "deploy-pipeline") return { service: pick(services), ref: pick(["main", "release-42", "hotfix-7"]) };
  if (key === "database-migration") return { database: pick(databases) };
  return {};
}

/**
 * In demo mode, starts a new demo instance every 20–40 s so the dashboard always has running,
 * waiting and paused instances to act on. Returns a function that stops it.
 */
export function startDemoDriver(db: Db, catalog: RegisteredWorkflow[], log: Logger, options: { minMs?: number; maxMs?: number } = {}): () => void {
  const actor = startScheduleActor("demo");
  const minMs = options.minMs ?? 20_000;
  const maxMs = options.maxMs ?? 40_000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const next = () => {
    if (stopped) return;
    timer = setTimeout(() => void once().finally(next), minMs + Math.random() * (maxMs - minMs));
  };
  const once = async () => {
    try {
      const [counts] = await db
        .select({
          active: sql<number>`count(*) filter (where ${inArray(instances.status, ["pending", "running"])})::int`,
          total: sql<number>`count(*)::int`,
        })
        .from(instances);
      if (!counts || counts.active >= MAX_ACTIVE || counts.total >= MAX_TOTAL) return;
      const workflow = pick(catalog);
      const started = await startInstance(db, { workflow: workflow.key, input: demoInput(workflow.key) }, actor, { catalog });
      log.info({ instanceId: started.id, workflow: workflow.key }, "demo driver started an instance");
    } catch (error) {
      // An operator held the workflow: that is the point of holding it, not a failure.
      if (error instanceof AppError && error.code === "conflict") log.info({ reason: error.message }, "demo driver skipped a held workflow");
      else log.warn({ err: error }, "demo driver could not start an instance");
    }
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
