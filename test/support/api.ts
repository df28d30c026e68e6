/** Builds a Request for calling a route handler directly, with a bearer token when given. */
export function apiRequest(path: string, options: { method?: string; token?: string; body?: unknown; rawBody?: string; cookie?: string } = {}): Request {
  const headers = new Headers({ "content-type": "application/json" });
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  if (options.cookie) headers.set("cookie", options.cookie);
  return new Request(`http://flowgate.test${path}`, {
    method: options.method ?? "GET",
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
}

export const params = <P>(value: P) => ({ params: Promise.resolve(value) });
