import { expect, it } from "vitest";
import { signIn } from "@/lib/auth/sessions";
import { clearFailures, lockedFor, MAX_FAILURES, recordFailure, WINDOW_MS } from "@/lib/auth/throttle";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";

const t = await freshDatabase();

it("locks an email after repeated wrong passwords, for the rest of the window, case-insensitively", async () => {
  const t0 = new Date("2026-11-24T08:00:00Z");
  const at = (ms: number) => new Date(t0.getTime() + ms);
  for (let i = 0; i < MAX_FAILURES - 1; i++) await recordFailure(t.db, "Guess@Example.com", at(i));
  expect(await lockedFor(t.db, "guess@example.com", at(10))).toBe(0);
  await recordFailure(t.db, "guess@example.com", at(10));
  expect(await lockedFor(t.db, "GUESS@example.com", at(20))).toBe(WINDOW_MS - 20);
  expect(await lockedFor(t.db, "guess@example.com", at(WINDOW_MS + 20))).toBe(0);
  expect(await lockedFor(t.db, "someone-else@example.com", at(20))).toBe(0);
  await clearFailures(t.db, "guess@example.com");
  expect(await lockedFor(t.db, "guess@example.com", at(30))).toBe(0);
});

it("is shared by every process: a second connection pool sees the lockout the first one caused", async () => {
  const user = await createUser(t.db, "operator", { email: "shared-lockout@test.dev" });
  for (let i = 0; i < MAX_FAILURES; i++) await expect(signIn(t.db, user.email, "wrong password")).rejects.toThrow("Email or password is wrong");
  // Another dashboard process: its own pool, the same database.
  const other = (await import("@/db/client")).createDb(t.url, { max: 1 });
  try {
    await expect(signIn(other.db, user.email, "wrong password")).rejects.toThrow(/Too many wrong passwords; try again in 15 minutes/);
  } finally {
    await other.sql.end();
  }
});
