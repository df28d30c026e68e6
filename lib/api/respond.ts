import { getDb } from "@/db/client";
import { authorize, type Permission, type SessionUser } from "@/lib/auth/permissions";
import { userForRequest } from "@/lib/auth/sessions";
import { knownError, RETRY_AFTER_SECONDS } from "@/lib/db-unavailable";
import { AppError, invalid } from "@/lib/errors";
import { log } from "@/lib/log";

type Handler<P> = (ctx: { request: Request; params: P; user: SessionUser }) => Promise<Response>;

/**
 * Every /api/v1 route goes through here: caller (bearer token or session cookie) → role →
 * handler; typed errors become `{ error: { code, message, fields? } }` with their status,
 * anything else a 500 that reveals nothing.
 */
export function apiRoute<P = Record<string, never>>(permission: Permission, handler: Handler<P>) {
  return async (request: Request, context: { params: Promise<P> }): Promise<Response> => {
    const started = performance.now();
    const response = await handle(request, context);
    // Writes are logged as they are answered; reads would drown the log.
    if (request.method !== "GET") {
      log.info({ method: request.method, path: new URL(request.url).pathname, status: response.status, ms: Math.round(performance.now() - started) }, "api write");
    }
    return response;
  };

  async function handle(request: Request, context: { params: Promise<P> }): Promise<Response> {
    try {
      const user = authorize(await userForRequest(getDb(), request), permission);
      // A cookie rides along on cross-site form posts; a JSON content type cannot be sent by a
      // plain form, so requiring it closes that door for cookie-authenticated writes.
      if (request.method !== "GET" && !request.headers.get("authorization") && !request.headers.get("content-type")?.includes("application/json")) {
        throw new AppError("invalid", "Send the body as application/json");
      }
      return await handler({ request, params: await context.params, user });
    } catch (error) {
      return errorResponse(error, request);
    }
  }
}

/**
 * The JSON error answer: an AppError with its status; a lost database (lib/db-unavailable.ts)
 * as 503 `unavailable` with `Retry-After`, logged as a warning without a stack, since it is an
 * outage to ride out rather than a bug; anything else a 500 that reveals nothing.
 */
export function errorResponse(error: unknown, request: Request): Response {
  const known = knownError(error);
  if (known) {
    if (known.code === "unavailable") log.warn({ err: error instanceof Error ? error.message : String(error), method: request.method, url: request.url }, "database unavailable");
    const headers = known.code === "unavailable" ? { "retry-after": String(RETRY_AFTER_SECONDS) } : undefined;
    return Response.json({ error: { code: known.code, message: known.message, ...(known.fields ? { fields: known.fields } : {}) } }, { status: known.status, headers });
  }
  log.error({ err: error, method: request.method, url: request.url }, "unhandled API error");
  return Response.json({ error: { code: "internal", message: "Something went wrong on our side; it has been logged" } }, { status: 500 });
}

/** The JSON body, or a 400 when it is not JSON at all. */
export async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (!text.trim()) return {};
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw invalid("The request body must be a JSON object");
}

export function searchParams(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams);
}
