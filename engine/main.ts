/**
 * The worker process (`npm run worker`; `npm start` spawns it): registers the catalog's
 * definitions, runs steps until SIGTERM/SIGINT, then shuts down gracefully.
 */
import { createDb } from "@/db/client";
import { log as rootLog } from "@/lib/log";
import { workerConfig } from "./config";
import { Definitions } from "./definitions";
import { startDemoDriver } from "./demo-driver";
import { loadCatalog } from "./load-catalog";
import { engineConnection } from "./prepared";
import { registerDefinitions } from "@/lib/workflows/registry";
import { notificationEnv } from "@/lib/env";
import { NotificationLoop } from "./notification-loop";
import { WebhookLoop } from "./webhook-loop";
import { BulkLoop } from "./bulk-loop";
import { Worker } from "./worker";

async function main() {
  const { databaseUrl, catalogModule, demoDriver, poolSize, ...settings } = workerConfig();
  const log = rootLog.child({ component: "worker" });
  const catalog = await loadCatalog(catalogModule);
  const { sql, db } = createDb(databaseUrl, { max: poolSize, ...engineConnection });
  await registerDefinitions(db, catalog);

  const worker = new Worker({ ...settings, db, sql, definitions: new Definitions(catalog), log });
  await worker.start();
  const stopDriver = demoDriver ? startDemoDriver(db, catalog, log) : () => {};
  // Webhooks go out on their own timer and sends: a slow receiver never holds up a step or a claim.
  const webhooks = new WebhookLoop({ db, log: rootLog.child({ component: "webhooks" }) });
  webhooks.start();
  // Bulk operations by filter run here, not in the dashboard: a dashboard restart never stops one.
  const bulk = new BulkLoop({ db, sql, workerId: settings.workerId, leaseMs: Math.max(settings.leaseMs, 2_000), pollMs: settings.pollMs, log: rootLog.child({ component: "bulk" }) });
  await bulk.start();
  // Notifications (mail, chat) likewise: a dead mail server delays only its own sends.
  const notifications = new NotificationLoop({ db, log: rootLog.child({ component: "notifications" }), ...notificationEnv() });
  notifications.start();
  // Test harnesses and supervisors learn the worker is listening without parsing logs.
  process.send?.({ type: "ready", workerId: settings.workerId });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    stopDriver();
    try {
      await Promise.all([worker.stop(), webhooks.stop(), bulk.stop(), notifications.stop()]);
      await sql.end({ timeout: 5 });
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, "unclean shutdown");
      process.exit(1);
    }
  };
  // A bug must not kill the worker silently: say what it was, then exit so a supervisor restarts
  // it (its runs' leases expire and another worker reruns them).
  process.on("unhandledRejection", (error) => {
    log.fatal({ err: error }, "unhandled rejection");
    process.exit(1);
  });
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  rootLog.fatal({ err: error }, "worker failed to start");
  process.exit(1);
});
