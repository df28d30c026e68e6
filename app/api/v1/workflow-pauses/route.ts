import { apiRoute, searchParams } from "@/lib/api/respond";
import { csvResponse, logDownloadQuery } from "@/lib/audit/export";
import { workflowPauseLog } from "@/lib/workflows/workflow-pauses";
import { parseInput } from "@/lib/validate";

/** The newest 200 workflow pauses and resumes, or with `?format=csv` all of them as a download. */
export const GET = apiRoute("history:read", async ({ request, db }) => {
  if (parseInput(logDownloadQuery, searchParams(request)).format !== "csv") return Response.json({ items: await workflowPauseLog(db) });
  const rows = await workflowPauseLog(db, null);
  return csvResponse(
    "workflow-pauses",
    ["id", "created_at", "action", "workflow_key", "reason", "actor_label", "actor_id"],
    rows.map((r) => [r.id, r.createdAt, r.action, r.workflowKey, r.reason, r.actorLabel, r.actorId]),
  );
});
