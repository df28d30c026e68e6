import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { canonicalJson } from "@/lib/canonical-json";

/**
 * Signed checkpoints, kept outside the database (issue 10 §4). The history chain's hashes are
 * plain SHA-256, so whoever can write the database (a superuser who disables the triggers) can
 * change a row and recompute every hash after it. A checkpoint that seals all chain heads and the
 * row count with an HMAC whose key the database never sees, written to a file the database cannot
 * write, turns that into a detectable break for every row the checkpoint sealed. Rows written after
 * the last signed checkpoint are protected by the app role's missing privileges only.
 *
 * The file is JSON lines, one checkpoint a line, each signed over its content and the previous
 * line's signature, so a line altered, removed or reordered is noticed (all lines from the end
 * removed together are not: keep a copy elsewhere, or ship the lines to a log you do not control).
 */

export type SealConfig = {
  /** Folder of the signed checkpoint files, one per database: `<dir>/<database>.checkpoints.jsonl`. */
  dir: string;
  /** The HMAC-SHA256 key; never stored in the database. */
  key: Buffer;
};

/** What a signed checkpoint seals: every chain's head over history rows with id ≤ throughId. */
export type SealedHeads = { throughId: number; rows: number; chains: number; headsHash: string };

const signedCheckpoint = z.object({
  v: z.literal(1),
  database: z.string(),
  at: z.string(),
  throughId: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  chains: z.number().int().nonnegative(),
  headsHash: z.string(),
  prev: z.string().nullable(),
  sig: z.string(),
});
export type SignedCheckpoint = z.infer<typeof signedCheckpoint>;

const KEY_FILE = "audit.key";

/**
 * The seal configuration from the environment, or null when checkpoints are not to be signed.
 * FLOWGATE_AUDIT_DIR (default `<FLOWGATE_DATA_DIR or .data>/audit`) holds the signed files;
 * FLOWGATE_AUDIT_KEY (at least 32 characters) is the key. Without a key, the embedded default
 * (and any set-up that names FLOWGATE_AUDIT_DIR) keeps a random key in `<dir>/audit.key`, mode 0600,
 * readable by the app's OS user and not by PostgreSQL's; with your own PostgreSQL and neither
 * variable set, nothing is signed (audit:verify says so). Throws on a key that is too short.
 */
export async function sealConfigFromEnv(options: { embedded: boolean }): Promise<SealConfig | null> {
  const dir = path.resolve(process.env.FLOWGATE_AUDIT_DIR || path.join(process.env.FLOWGATE_DATA_DIR || path.join(process.cwd(), ".data"), "audit"));
  const key = process.env.FLOWGATE_AUDIT_KEY;
  if (key) {
    if (key.length < 32) throw new Error("FLOWGATE_AUDIT_KEY must be at least 32 characters");
    return { dir, key: Buffer.from(key, "utf8") };
  }
  if (!options.embedded && !process.env.FLOWGATE_AUDIT_DIR) return null;
  return { dir, key: await keyFile(dir) };
}

async function keyFile(dir: string): Promise<Buffer> {
  const file = path.join(dir, KEY_FILE);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // wx: two processes starting at once must not each write their own key.
    await writeFile(file, randomBytes(32).toString("hex"), { mode: 0o600, flag: "wx" }).catch((error: unknown) => {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    });
    await chmod(file, 0o600);
  }
  return Buffer.from((await readFile(file, "utf8")).trim(), "utf8");
}

/** The signed checkpoint file of one database. */
export function sealFile(config: SealConfig, database: string): string {
  return path.join(config.dir, `${database.replace(/[^A-Za-z0-9_.-]/g, "_")}.checkpoints.jsonl`);
}

function sign(key: Buffer, body: Omit<SignedCheckpoint, "sig">): string {
  return createHmac("sha256", key).update(canonicalJson(body)).digest("hex");
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * Reads and checks a database's signed checkpoints: every line's signature under the key and its
 * link to the line before. Returns the newest line whose signature holds (null when there is none
 * yet) and one problem per line that does not (bad JSON, a wrong signature, a broken link).
 */
export async function readSealed(config: SealConfig, database: string): Promise<{ latest: SignedCheckpoint | null; problems: string[] }> {
  const file = sealFile(config, database);
  if (!existsSync(file)) return { latest: null, problems: [] };
  const lines = (await readFile(file, "utf8")).split("\n").filter((l) => l.trim() !== "");
  const problems: string[] = [];
  let latest: SignedCheckpoint | null = null;
  let prevSig: string | null = null;
  lines.forEach((line, index) => {
    const where = `${path.basename(file)} line ${index + 1}`;
    let parsed: SignedCheckpoint;
    try {
      parsed = signedCheckpoint.parse(JSON.parse(line));
    } catch {
      problems.push(`signed checkpoint ${where} is not a checkpoint: the file was altered`);
      return;
    }
    const { sig, ...body } = parsed;
    if (!sameHex(sig, sign(config.key, body))) {
      problems.push(`signed checkpoint ${where} has a wrong signature: the file was altered (or the key changed)`);
      // The next line still links to what this one claims, so one altered line is one problem.
      prevSig = sig;
      return;
    }
    if (parsed.database !== database) problems.push(`signed checkpoint ${where} belongs to database ${parsed.database}`);
    else if (parsed.prev !== prevSig) problems.push(`signed checkpoint ${where} does not follow the line before it: lines were removed or reordered`);
    prevSig = sig;
    latest = parsed;
  });
  return { latest, problems };
}

/**
 * Appends a signed checkpoint of `heads` for `database`, linked to the newest line, and flushes
 * it to disk. One writer at a time (a cron job, `npm start`): two at once would both link to the
 * same line, which readSealed then reports.
 */
export async function appendSealed(config: SealConfig, database: string, heads: SealedHeads, at = new Date()): Promise<SignedCheckpoint> {
  const { latest } = await readSealed(config, database);
  const body: Omit<SignedCheckpoint, "sig"> = { v: 1, database, at: at.toISOString(), ...heads, prev: latest?.sig ?? null };
  const line: SignedCheckpoint = { ...body, sig: sign(config.key, body) };
  await mkdir(config.dir, { recursive: true, mode: 0o700 });
  await appendFile(sealFile(config, database), `${JSON.stringify(line)}\n`, { mode: 0o600, flush: true });
  return line;
}
