import { count, eq } from "drizzle-orm";
import { beforeEach, expect, it, vi } from "vitest";
import { signInFailures } from "@/db/schema";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { signIn } from "@/lib/auth/sessions";
import { MAX_FAILURES } from "@/lib/auth/throttle";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";

// The real scrypt verifier, wrapped so the tests can count how many passwords were actually
// checked (and against which stored hash) without measuring time.
vi.mock("@/lib/auth/password", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/lib/auth/password")>();
  return { ...real, verifyPassword: vi.fn(real.verifyPassword) };
});
const verifier = vi.mocked(verifyPassword);

const t = await freshDatabase();
const RIGHT = "correct horse battery";
const realHash = await hashPassword(RIGHT);

beforeEach(() => { verifier.mockClear(); });

const failuresOf = async (email: string) =>
  (await t.db.select({ n: count() }).from(signInFailures).where(eq(signInFailures.email, email)))[0]!.n;

/** Fires `n` sign-ins with different wrong passwords for one email at once; returns their error messages. */
async function burst(email: string, n: number): Promise<string[]> {
  const outcomes = await Promise.allSettled(Array.from({ length: n }, (_, i) => signIn(t.db, email, `wrong password ${i}`)));
  return outcomes.map((o) => (o.status === "rejected" ? String((o.reason as Error).message) : "signed in"));
}

it(`checks at most ${MAX_FAILURES} passwords for one account, however many sign-ins arrive at once`, async () => {
  const user = await createUser(t.db, "operator", { email: "race@test.dev", passwordHash: realHash });
  const messages = await burst(user.email, 25);
  expect(verifier).toHaveBeenCalledTimes(MAX_FAILURES);
  expect(messages.filter((m) => m === "Email or password is wrong")).toHaveLength(MAX_FAILURES);
  expect(messages.filter((m) => m.startsWith("Too many wrong passwords"))).toHaveLength(25 - MAX_FAILURES);
  expect(await failuresOf(user.email)).toBe(MAX_FAILURES);
  // The lock holds for the right password too, and checks nothing more.
  await expect(signIn(t.db, "RACE@test.dev ", RIGHT)).rejects.toThrow(/Too many wrong passwords/);
  expect(verifier).toHaveBeenCalledTimes(MAX_FAILURES);
});

it(`checks at most ${MAX_FAILURES} passwords for an unknown email too, however many arrive at once`, async () => {
  const messages = await burst("nobody-race@test.dev", 25);
  expect(verifier).toHaveBeenCalledTimes(MAX_FAILURES);
  expect(messages.filter((m) => m === "Email or password is wrong")).toHaveLength(MAX_FAILURES);
  expect(await failuresOf("nobody-race@test.dev")).toBe(MAX_FAILURES);
});

it("does the same password work for an unknown email as for a wrong password: one scrypt with the same parameters", async () => {
  await createUser(t.db, "operator", { email: "timing@test.dev", passwordHash: realHash });
  await expect(signIn(t.db, "timing@test.dev", "not it")).rejects.toThrow("Email or password is wrong");
  expect(verifier).toHaveBeenCalledTimes(1);
  const [, knownHash] = verifier.mock.calls[0]!;
  verifier.mockClear();

  await expect(signIn(t.db, "no-such-user@test.dev", "not it")).rejects.toThrow("Email or password is wrong");
  expect(verifier).toHaveBeenCalledTimes(1);
  const [password, unknownHash] = verifier.mock.calls[0]!;
  expect(password).toBe("not it");
  // scheme, N, r, p and the derived key's length decide scrypt's cost; only salt and hash differ.
  const cost = (stored: string) => {
    const [scheme, n, r, p, , hash] = stored.split("$");
    return { scheme, n, r, p, keyBytes: Buffer.from(hash!, "base64").length };
  };
  expect(cost(unknownHash)).toEqual(cost(knownHash));
});

it("a right password still signs in and forgets the earlier failures", async () => {
  const user = await createUser(t.db, "operator", { email: "recovers@test.dev", passwordHash: realHash });
  await expect(signIn(t.db, user.email, "wrong")).rejects.toThrow("Email or password is wrong");
  expect(await failuresOf(user.email)).toBe(1);
  const session = await signIn(t.db, " Recovers@test.dev", RIGHT);
  expect(session.user.email).toBe(user.email);
  expect(await failuresOf(user.email)).toBe(0);
});
