import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { CliError, EXIT } from "./client";

/**
 * Where the CLI finds Flowgate: FLOWGATE_URL and FLOWGATE_TOKEN, else the file `flowgate login`
 * writes: `$XDG_CONFIG_HOME/flowgate/config.json` (default ~/.config), mode 0600 since it holds a
 * token. The environment wins, so a script can point one command elsewhere.
 */
export type Config = { url: string; token: string };

export function configPath(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
  return path.join(base, "flowgate", "config.json");
}

async function readConfigFile(file: string): Promise<Partial<Config>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
    if (!parsed || typeof parsed !== "object") return {};
    const { url, token } = parsed as Record<string, unknown>;
    return { url: typeof url === "string" ? url : undefined, token: typeof token === "string" ? token : undefined };
  } catch {
    return {};
  }
}

/** The URL and token to use; throws CliError (exit 1) naming what is missing and how to give it. */
export async function loadConfig(env: Record<string, string | undefined> = process.env): Promise<Config> {
  const file = await readConfigFile(configPath(env));
  const url = env.FLOWGATE_URL || file.url;
  const token = env.FLOWGATE_TOKEN || file.token;
  if (!url || !token) {
    throw new CliError(`No Flowgate ${!url ? "URL" : "token"}: run \`flowgate login --url <url> --token <token>\`, or set FLOWGATE_URL and FLOWGATE_TOKEN`, EXIT.invalid);
  }
  return { url, token };
}

/** Writes the config file (creating its directory), readable by its owner only. */
export async function saveConfig(config: Config, env: Record<string, string | undefined> = process.env): Promise<string> {
  const file = configPath(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}
