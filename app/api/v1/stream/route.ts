import { apiRoute } from "@/lib/api/respond";
import { channels } from "@/lib/events";

export const dynamic = "force-dynamic";

/**
 * Server-sent events: one `change` event per committed change (`{ type, instanceId }`), from
 * Postgres LISTEN on the outbox trigger's channel, so open dashboards refresh at once instead of
 * waiting for their next poll; and a `progress` event (`{ instanceIds }`, lib/step-progress.ts)
 * when workers' steps started or finished, which write no outbox event, so an open instance page
 * shows its steps move without polling. A comment every 20 s keeps proxies from closing the stream.
 */
export const GET = apiRoute("instances:read", async ({ request, sql }) => {
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      // postgres.js multiplexes every listener of this process over one connection.
      const listeners = await Promise.all([
        sql.listen(channels.changes, (payload) => send(`event: change\ndata: ${payload}\n\n`)),
        sql.listen(channels.progress, (payload) => send(`event: progress\ndata: ${payload}\n\n`)),
      ]);
      const keepAlive = setInterval(() => send(": keep-alive\n\n"), 20_000);
      cleanup = () => {
        clearInterval(keepAlive);
        for (const listener of listeners) void listener.unlisten().catch(() => {});
        cleanup = () => {};
      };
      request.signal.addEventListener("abort", () => {
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
      // `now`: the server's clock, so the browser can correct its own (components/server-clock.ts).
      send(`retry: 3000\nevent: ready\ndata: ${JSON.stringify({ now: Date.now() })}\n\n`);
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", connection: "keep-alive" } });
});
