/** Every code an error answer may carry; the OpenAPI document's error schema lists the same. */
export const errorCodes = ["invalid", "unauthenticated", "forbidden", "cross_origin", "not_found", "conflict", "too_large", "unsupported_media_type", "unavailable"] as const;
export type ErrorCode = (typeof errorCodes)[number];

const httpStatus: Record<ErrorCode, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  cross_origin: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  // The database cannot be reached right now (lib/db-unavailable.ts); the caller should retry.
  unavailable: 503,
};

/**
 * What a caller may act on without reading a refusal's message: `headline` is the message
 * without its instance-specific time ("Already paused by ops@acme.dev"), so refusals of many
 * instances group by it (lib/instances/bulk.ts); `at` is when the act that caused the refusal
 * happened, when known.
 */
export type ErrorDetail = { headline: string; at: Date | null };

/**
 * An error whose message is safe to show a user; anything else is an internal failure.
 * `fields`: per-field messages for a form or the API's `fields`; `detail`: see ErrorDetail.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly fields?: Record<string, string[]>,
    readonly detail?: ErrorDetail,
  ) {
    super(message);
    this.name = "AppError";
  }

  get status(): number {
    return httpStatus[this.code];
  }
}

export const invalid = (message: string, fields?: Record<string, string[]>) => new AppError("invalid", message, fields);
export const notFound = (what: string) => new AppError("not_found", `${what} not found`);
export const conflict = (message: string) => new AppError("conflict", message);
/** A conflict with someone's earlier act: the message "<headline> at <ISO time>", with both kept as `detail`. */
export const conflictSince = (headline: string, at: Date | null) =>
  new AppError("conflict", `${headline} at ${at?.toISOString() ?? "an unknown time"}`, undefined, { headline, at });
export const forbidden = (message = "Your role does not allow this") => new AppError("forbidden", message);
export const tooLarge = (message: string) => new AppError("too_large", message);
export const unauthenticated = () => new AppError("unauthenticated", "Sign in first");
