import { spawn } from "node:child_process";

/**
 * Runs a project script the way `npm run` does (`node --import tsx <script>`), against the
 * embedded cluster whose data lives under `dataRoot` on `port` (no DATABASE_URL), and answers
 * its exit code and everything it printed (stdout and stderr together).
 */
export function runScript(script: string, args: string[], cluster: { dataRoot: string; port: number }): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, FLOWGATE_DATA_DIR: cluster.dataRoot, FLOWGATE_PG_PORT: String(cluster.port), LOG_LEVEL: "silent" };
  delete env.DATABASE_URL;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, out }));
  });
}
