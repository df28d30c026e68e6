import { apiRoute } from "@/lib/api/respond";
import { listenBulkProgress } from "@/lib/bulk-operations/progress";
import type { BulkProgressEvent } from "@/lib/bulk-operations/progress-event";
import { getBulkOperation } from "@/lib/bulk-operations/queries";

export const dynamic = "force-dynamic";

/**
 * Server-sent events of one bulk operation: first its state now (`progress`, or `done` when it
 * has ended), then a `progress` event (BulkProgress: state and counts) each time the worker
 * announces one (lib/bulk-operations/progress.ts, at most every 250 ms), and a final `done`
 * event carrying the whole operation (as `GET /api/v1/bulk-operations/{id}`) once it is
 * completed or cancelled; then the stream ends. Read permission, as for the operation itself;
 * 404 for an unknown or malformed id. A comment every 20 s keeps proxies from closing it.
 */
export const GET = apiRoute<{ id: string }>("instances:read", async ({ request, params, db, sql }) => {
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let ended = false;
  let finishing = false;
  // Events heard before the snapshot is sent wait here, so none slips between LISTEN and the read.
  const early: BulkProgressEvent[] = [];
  const write = (text: string) => {
    if (ended || !controller) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      end();
    }
  };
  const send = (event: string, data: unknown) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const onEvent = (event: BulkProgressEvent) => {
    if (!controller) return void early.push(event);
    if (event.state === "running") return send("progress", event);
    void finish();
  };
  // LISTEN first, then read: an event committed after the read is heard, and the read is never older than what was missed.
  const listener = await listenBulkProgress(sql, params.id, onEvent);
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  function end() {
    if (ended) return;
    ended = true;
    clearInterval(keepAlive);
    void listener.unlisten().catch(() => {});
    try {
      controller?.close();
    } catch {
      // already closed by the client
    }
  }
  /** The operation has ended: send it whole (who cancelled and why, when it finished) and close. */
  async function finish() {
    if (finishing) return;
    finishing = true;
    try {
      send("done", await getBulkOperation(db, params.id));
    } finally {
      end();
    }
  }
  let snapshot;
  try {
    snapshot = await getBulkOperation(db, params.id);
  } catch (error) {
    await listener.unlisten().catch(() => {});
    throw error;
  }
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      write("retry: 3000\n\n");
      request.signal.addEventListener("abort", end);
      keepAlive = setInterval(() => write(": keep-alive\n\n"), 20_000);
      if (snapshot.state !== "running") {
        send("done", snapshot);
        return end();
      }
      send("progress", { operationId: snapshot.id, state: snapshot.state, matched: snapshot.matched, counts: snapshot.counts });
      for (const event of early.splice(0)) onEvent(event);
    },
    cancel() {
      end();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform", connection: "keep-alive" } });
});
