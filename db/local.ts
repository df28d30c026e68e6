import path from "node:path";
import { ensureDatabase } from "./database";
import { startEmbeddedPostgres, type EmbeddedCluster } from "./embedded";

/** Where `npm start` keeps its database; FLOWGATE_DATA_DIR moves it (tests start a second copy elsewhere). */
export const LOCAL_DATA_DIR = path.resolve(process.env.FLOWGATE_DATA_DIR ?? path.join(process.cwd(), ".data"), "pg");
export const LOCAL_PG_PORT = Number(process.env.FLOWGATE_PG_PORT ?? 54329);

export type ResolvedDatabase = { url: string; embedded: EmbeddedCluster | null };

/** DATABASE_URL when set; otherwise the embedded cluster under .data/, booted and holding a `flowgate` database. */
export async function resolveDatabase(onLog?: (message: string) => void): Promise<ResolvedDatabase> {
  const configured = process.env.DATABASE_URL;
  if (configured) return { url: configured, embedded: null };
  const embedded = await startEmbeddedPostgres({ dir: LOCAL_DATA_DIR, port: LOCAL_PG_PORT, onLog });
  await ensureDatabase(embedded.url(), "flowgate");
  return { url: embedded.url("flowgate"), embedded };
}
