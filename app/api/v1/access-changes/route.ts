import { apiRoute, searchParams } from "@/lib/api/respond";
import { csvResponse, logDownloadQuery } from "@/lib/audit/export";
import { recentAccessChanges } from "@/lib/users/access-log";
import { parseInput } from "@/lib/validate";

/** The newest 100 access changes, or with `?format=csv` all of them as a download. */
export const GET = apiRoute("access:read", async ({ request, db }) => {
  if (parseInput(logDownloadQuery, searchParams(request)).format !== "csv") return Response.json({ items: await recentAccessChanges(db) });
  const rows = await recentAccessChanges(db, null);
  return csvResponse(
    "access-log",
    ["id", "created_at", "action", "subject_email", "subject_id", "details", "actor_label", "actor_id"],
    rows.map((r) => [r.id, r.createdAt, r.action, r.subjectEmail, r.subjectId, r.details, r.actorLabel, r.actorId]),
  );
});
