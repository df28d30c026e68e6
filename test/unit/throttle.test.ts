import { expect, it } from "vitest";
import { clearFailures, lockedFor, MAX_FAILURES, recordFailure, WINDOW_MS } from "@/lib/auth/throttle";

it("locks an email after repeated wrong passwords, for the rest of the window, case-insensitively", () => {
  const t0 = 1_000_000;
  for (let i = 0; i < MAX_FAILURES - 1; i++) recordFailure("Guess@Example.com", t0 + i);
  expect(lockedFor("guess@example.com", t0 + 10)).toBe(0);
  recordFailure("guess@example.com", t0 + 10);
  expect(lockedFor("GUESS@example.com", t0 + 20)).toBe(WINDOW_MS - 20);
  expect(lockedFor("guess@example.com", t0 + WINDOW_MS + 20)).toBe(0);
  expect(lockedFor("someone-else@example.com", t0 + 20)).toBe(0);
  clearFailures("guess@example.com");
  expect(lockedFor("guess@example.com", t0 + 30)).toBe(0);
});
