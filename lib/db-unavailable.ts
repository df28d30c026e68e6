import { AppError } from "@/lib/errors";

/**
 * Seconds a client is told to wait (`Retry-After`) before trying again while the database is
 * unreachable. Short: an embedded PostgreSQL restarted by `npm start` is back within seconds.
 */
export const RETRY_AFTER_SECONDS = 5;

export const DATABASE_UNAVAILABLE_MESSAGE = "The database is unreachable right now; try again in a few seconds.";

/**
 * Socket and postgres.js codes that mean "no usable connection": refused, reset, timed out while
 * connecting, or closed under a query (the server stopped or restarted).
 */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
]);

/**
 * SQLSTATEs for the same situation seen from the server: class 08 (connection exception),
 * 57P01 admin_shutdown (a fast shutdown ended our session), 57P02 crash_shutdown, 57P03
 * cannot_connect_now (starting up or shutting down), 57014 query_canceled (our statement_timeout:
 * the server did not answer in time), 53300 too_many_connections.
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "57014" || code === "53300";
}

/**
 * True when `error` (or anything it wraps: drizzle's DrizzleQueryError puts the driver's error in
 * `cause`, Node's happy-eyeballs connect throws an AggregateError) says the database could not
 * be reached or went away, as opposed to a bug or a refused statement. Never throws.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (!e || typeof e !== "object" || seen.has(e)) return false;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (CONNECTION_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code)))) return true;
    if (e instanceof AggregateError && e.errors.some(visit)) return true;
    return visit((e as { cause?: unknown }).cause);
  };
  return visit(error);
}

/** The AppError ("unavailable", HTTP 503) every boundary answers with while the database is away. */
export function databaseUnavailable(): AppError {
  return new AppError("unavailable", DATABASE_UNAVAILABLE_MESSAGE);
}

/**
 * The error a boundary (API route, server action) should show: an AppError as it is, a lost
 * database as `databaseUnavailable()`, anything else null (an internal failure to log as such).
 */
export function knownError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  return isDatabaseUnavailable(error) ? databaseUnavailable() : null;
}
