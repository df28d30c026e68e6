import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { ensureDatabase } from "@/db/database";
import { startEmbeddedPostgres } from "@/db/embedded";
import { migrateDatabase } from "@/db/migrate";
import { appRoleUrl } from "@/db/roles";
import { freePort } from "./free-port";

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    /** The cluster as the least-privileged app role (what the dashboard and worker use); any database. */
    pgAppUrl: string;
  }
}

export const TEMPLATE_DB = "flowgate_template";

/** One throwaway cluster for the run; every test file clones a fresh database from a migrated template. */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "flowgate-test-pg-"));
  const cluster = await startEmbeddedPostgres({ dir: path.join(dir, "data"), port: await freePort(), persistent: false });
  await ensureDatabase(cluster.url(), TEMPLATE_DB);
  // The app role's grants live in the template, so every cloned database has them.
  await migrateDatabase(cluster.url(TEMPLATE_DB), { appUrl: appRoleUrl(cluster.url(TEMPLATE_DB)) });
  project.provide("pgAdminUrl", cluster.url());
  project.provide("pgAppUrl", appRoleUrl(cluster.url()));
  return async () => {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
