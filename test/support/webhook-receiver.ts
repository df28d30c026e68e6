import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got: its path, the Standard Webhooks headers and the raw body. */
export type Received = { path: string; headers: Record<string, string>; body: string };

/**
 * A local webhook receiver (node:http) for tests. Paths choose the behaviour: `/ok…` answers 204,
 * `/fail…` 500 with a body, `/hang…` never answers (the socket stays open until close()).
 * `received` lists every request in order of arrival; `open` counts hanging requests.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: pick(req.headers), body: Buffer.concat(chunks).toString("utf8") });
      if (path.startsWith("/hang")) {
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      if (path.startsWith("/fail")) {
        res.writeHead(500, { "content-type": "text/plain" }).end(`receiver broke ${"x".repeat(3000)}`);
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    to: (path: string) => received.filter((r) => r.path === path),
    open: () => hanging.size,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function pick(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"]) {
    const value = headers[name];
    if (typeof value === "string") out[name] = value;
  }
  return out;
}

/** Resolves when `check` returns true, polling every 20 ms; fails with `what` after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
