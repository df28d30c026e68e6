import "server-only";
import type { Db } from "@/db/client";
import type { Actor, BulkAction } from "@/db/schema";
import { bulkPause, bulkResume } from "@/lib/instances/bulk";
import type { Untrusted } from "@/lib/validate";
import { asksByFilter } from "./inputs";
import { getBulkOperation, type BulkOperationView } from "./queries";
import { startBulkOperation } from "./start";

/**
 * `POST /instances/bulk/pause|resume`: by `instanceIds` (at most 500, done before answering, as
 * before) or by `filter` (any count: an operation the worker runs; answered at once with it).
 */
export async function bulkCommand(db: Db, action: BulkAction, raw: Untrusted, actor: Actor) {
  if (asksByFilter(raw)) {
    const started = await startBulkOperation(db, action, raw, actor);
    return { kind: "operation" as const, operation: await getBulkOperation(db, started.id) };
  }
  return { kind: "summary" as const, summary: action === "pause" ? await bulkPause(db, raw, actor) : await bulkResume(db, raw, actor) };
}

/** The HTTP answer of bulkCommand: 202 with the operation and its Location, or 200 with every instance's result. */
export function bulkAnswer(result: Awaited<ReturnType<typeof bulkCommand>>): Response {
  if (result.kind === "summary") return Response.json(result.summary);
  return Response.json(result.operation satisfies BulkOperationView, { status: 202, headers: { location: `/api/v1/bulk-operations/${result.operation.id}` } });
}
