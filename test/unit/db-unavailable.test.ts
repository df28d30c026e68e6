import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { isDatabaseUnavailable, knownError } from "@/lib/db-unavailable";

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("isDatabaseUnavailable", () => {
  it.each(["ECONNREFUSED", "ECONNRESET", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "57P01", "57P03", "08006", "08001", "57014", "53300"])("says %s is the database being away", (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(true);
  });

  it("looks through drizzle's wrapper (cause) and Node's AggregateError", () => {
    expect(isDatabaseUnavailable(new Error("Failed query: select 1", { cause: withCode("ECONNREFUSED") }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")]))).toBe(true);
  });

  it.each(["23505", "40001", "42P01", "P0001", "22P02"])("leaves %s (a refused or broken statement) alone", (code) => {
    expect(isDatabaseUnavailable(withCode(code))).toBe(false);
    expect(knownError(withCode(code))).toBeNull();
  });

  it("turns a lost database into a 503 AppError and keeps AppErrors as they are", () => {
    const known = knownError(new Error("Failed query", { cause: withCode("57P01") }));
    expect(known).toMatchObject({ code: "unavailable", status: 503 });
    const conflict = new AppError("conflict", "Already paused");
    expect(knownError(conflict)).toBe(conflict);
    expect(isDatabaseUnavailable(null)).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
  });
});
