import type postgres from "postgres";
import { getConnection, type Db } from "@/db/client";
import { authorize, type Permission, type SessionUser } from "@/lib/auth/permissions";
import { userForRequest } from "@/lib/auth/sessions";
import { knownError, RETRY_AFTER_SECONDS } from "@/lib/db-unavailable";
import { invalid, tooLarge } from "@/lib/errors";
import { log } from "@/lib/log";
import { checkCookieWrite } from "./cookie-writes";

/**
 * What a route handler is given: the request, its route params, the authorized caller, and the
 * dashboard's pool as `db` (drizzle) and `sql` (the postgres.js client under it, for LISTEN and
 * streamed cursors), so no route fetches a database itself.
 */
type Handler<P> = (ctx: { request: Request; params: P; user: SessionUser; db: Db; sql: postgres.Sql }) => Promise<Response>;

/**
 * Every /api/v1 route goes through here: caller (bearer token or session cookie) → role →
 * handler with its database (as runAction hands a server action its db); typed errors become
 * `{ error: { code, message, fields? } }` with their status, anything else a 500 that reveals nothing.
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
      const { db, sql } = getConnection();
      const user = authorize(await userForRequest(db, request), permission);
      checkCookieWrite(request);
      return await handler({ request, params: await context.params, user, db, sql });
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

/** Largest command body accepted, in bytes of UTF-8: a bulk pause of 500 ids is about 20 KB. */
export const BODY_MAX_BYTES = 64 * 1024;
/** Deepest nesting of arrays and objects accepted in a body; no command needs more than a few levels. */
export const BODY_MAX_DEPTH = 32;

/**
 * The JSON body as an object ({} when empty). Errors: 413 (`too_large`) when the body is over
 * BODY_MAX_BYTES, decided from Content-Length when sent and otherwise while reading, so an
 * oversized body is never buffered whole nor parsed; 400 (`invalid`) when it is not UTF-8 JSON,
 * not an object, or nests deeper than BODY_MAX_DEPTH.
 */
export async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  const text = await readLimited(request, BODY_MAX_BYTES);
  if (!text.trim()) return {};
  if (nestingDepth(text) > BODY_MAX_DEPTH) throw invalid(`The request body nests deeper than ${BODY_MAX_DEPTH} levels`);
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw invalid("The request body must be a JSON object");
}

async function readLimited(request: Request, maxBytes: number): Promise<string> {
  const tooBig = () => tooLarge(`The request body is over ${maxBytes / 1024} KB`);
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooBig();
  if (!request.body) return "";
  // Content-Length may be absent (chunked) or wrong: count what actually arrives and stop early.
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw invalid("The request body must be UTF-8 JSON");
  }
}

/** Deepest [ / { nesting in JSON text, skipping strings; one pass, no recursion, so it is safe on hostile input. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Query parameters as a plain object (the last value wins when one repeats); the use case's
 * zod schema checks them.
 */
export function searchParams(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams);
}
