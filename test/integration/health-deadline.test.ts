/**
 * /api/health answers even when the database hangs rather than refuses: a server that accepts
 * the TCP connection and never says a word (a hung PostgreSQL, a black-holed proxy). Without its
 * own deadline the check waits for postgres.js's connect timeout, set here to 60 s, far beyond
 * what a load balancer waits; with it the answer is a 503 well inside the test's bound.
 */
import net from "node:net";
import { afterAll, expect, it } from "vitest";
import { createDb, useConnection } from "@/db/client";

const sockets = new Set<net.Socket>();
const silent = net.createServer((socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
});
await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
const { port } = silent.address() as net.AddressInfo;
const pool = createDb(`postgres://flowgate:flowgate@127.0.0.1:${port}/flowgate`, { max: 2, connect_timeout: 60 });
useConnection(pool);
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await pool.sql.end({ timeout: 0 });
  await new Promise((resolve) => silent.close(resolve));
});

const { GET: healthRoute } = await import("@/app/api/health/route");

it("says 503 with Retry-After while the database does not answer, without waiting for the connect timeout", async () => {
  const response = await healthRoute();
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBeTruthy();
  expect(await response.json()).toMatchObject({ status: "degraded", database: { status: "down" } });
}, 30_000);
