/**
 * The CLI's HTTP client for Flowgate's REST API (/api/v1): bearer token, JSON in and out, and
 * the API's `{ error: { code, message, fields } }` turned into a CliError with the exit code the
 * CLI promises (issue 13): 1 invalid arguments (400), 2 conflict (409), 3 not found or forbidden
 * (401, 403, 404), 4 server or network error (5xx, or no answer).
 */

export const EXIT = { ok: 0, invalid: 1, conflict: 2, notFound: 3, server: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error to print (its message) and exit with (its code). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly fields?: Record<string, string[]>,
  ) {
    super(message);
    this.name = "CliError";
  }
}

type ApiError = { error?: { code?: string; message?: string; fields?: Record<string, string[]> } };

/** The exit code for an HTTP status (issue 13's table). */
export function exitCodeFor(status: number): ExitCode {
  if (status === 409) return EXIT.conflict;
  if (status === 401 || status === 403 || status === 404) return EXIT.notFound;
  if (status >= 400 && status < 500) return EXIT.invalid;
  return EXIT.server;
}

export type Client = {
  /** The base URL, without a trailing slash, e.g. http://localhost:3000. */
  url: string;
  /** GET/POST a JSON route under /api/v1; resolves to the parsed body, throws CliError on a non-2xx answer. */
  json<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T>;
  /** The raw Response of a GET under /api/v1 (for streamed exports), after the same error check. */
  stream(path: string): Promise<Response>;
};

/** A client for `url` authenticated with `token` (an `fgt_…` API token). */
export function createClient(url: string, token: string): Client {
  const base = url.replace(/\/+$/, "");
  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
      throw new CliError(`Cannot reach Flowgate at ${base}${cause}`, EXIT.server);
    }
    if (response.ok) return response;
    const text = await response.text();
    let parsed: ApiError = {};
    try {
      parsed = JSON.parse(text) as ApiError;
    } catch {
      // Not the API's JSON (a proxy's error page, say): the status is all there is.
    }
    const message = parsed.error?.message ?? `HTTP ${response.status} ${response.statusText}`.trim();
    throw new CliError(message, exitCodeFor(response.status), parsed.error?.fields);
  }
  return {
    url: base,
    async json<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
      const response = await send(method, path, body);
      return (await response.json()) as T;
    },
    stream: (path) => send("GET", path),
  };
}
