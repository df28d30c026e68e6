import path from "node:path";
import { ensureDatabase } from "./database";
import { embeddedUrl, liveCluster, startEmbeddedPostgres, type EmbeddedCluster } from "./embedded";
import { appRoleUrl } from "./roles";

/** Where `npm start` keeps its database; FLOWGATE_DATA_DIR moves it (tests start a second copy elsewhere). */
export const LOCAL_DATA_DIR = path.resolve(process.env.FLOWGATE_DATA_DIR ?? path.join(process.cwd(), ".data"), "pg");
export const LOCAL_PG_PORT = Number(process.env.FLOWGATE_PG_PORT ?? 54329);

/**
 * `url`: what the dashboard and worker connect with (the least-privileged app role).
 * `ownerUrl`: what migrations, the seed, database chores and audit:verify use (the tables' owner).
 */
export type ResolvedDatabase = { url: string; ownerUrl: string; embedded: EmbeddedCluster | null };

/**
 * DATABASE_URL (the app role) and DATABASE_OWNER_URL (the owner; defaults to DATABASE_URL, the
 * old single-role set-up) when set; otherwise the embedded cluster under .data/, holding a
 * `flowgate` database, whose superuser is the owner and `flowgate_app` the app role. When a
 * server already runs on that data folder (`npm start` is up) and `attach` is left on, it is used
 * as it is, and `embedded` is null: this process did not start it and must not stop it
 * (`npm run audit:verify` and the db chores next to a running `npm start`). Otherwise it is
 * booted here; `npm start` passes `attach: false` since it must own, watch and stop its
 * database, and a second server cannot boot on a folder in use (that error names the pid).
 */
export async function resolveDatabase(options: { onLog?: (message: string) => void; attach?: boolean } = {}): Promise<ResolvedDatabase> {
  const configured = process.env.DATABASE_URL;
  if (configured) return { url: configured, ownerUrl: process.env.DATABASE_OWNER_URL || configured, embedded: null };
  const live = options.attach === false ? null : await liveCluster(LOCAL_DATA_DIR);
  if (live) {
    const ownerUrl = embeddedUrl(live.port, "flowgate");
    return { url: appRoleUrl(ownerUrl), ownerUrl, embedded: null };
  }
  const embedded = await startEmbeddedPostgres({ dir: LOCAL_DATA_DIR, port: LOCAL_PG_PORT, onLog: options.onLog });
  await ensureDatabase(embedded.url(), "flowgate");
  const ownerUrl = embedded.url("flowgate");
  return { url: appRoleUrl(ownerUrl), ownerUrl, embedded };
}
