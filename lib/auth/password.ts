import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number }) => Promise<Buffer>;
const PARAMS = { N: 16384, r: 8, p: 1 };
const KEYLEN = 64;

/** scrypt with a per-password salt, stored as `scrypt$N$r$p$salt$hash` so parameters can change later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEYLEN, PARAMS);
  return ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

/**
 * What sign-in checks a password against when no user has the email: a stored-hash string with
 * today's parameters (N, r, p, key length), a fixed salt and an all-zero key that no password
 * derives. Running the same scrypt as for a real account keeps "unknown email" from answering
 * measurably faster than "wrong password", which would tell a caller which emails exist. Built
 * from PARAMS so that raising the cost raises it here too.
 */
export const UNKNOWN_USER_HASH = ["scrypt", PARAMS.N, PARAMS.r, PARAMS.p, Buffer.alloc(16, 7).toString("base64"), Buffer.alloc(KEYLEN).toString("base64")].join("$");

/**
 * True when `password` derives the key in `stored` (a `hashPassword` string), compared in
 * constant time; false for a wrong password or a string that is not an scrypt hash. Costs one
 * scrypt with the stored parameters (about 50–100 ms at the defaults).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = await scryptAsync(password, Buffer.from(salt, "base64"), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}
