import { apiRoute } from "@/lib/api/respond";
import { workflowPausesOf } from "@/lib/workflows/workflow-pauses";
import { listDefinitions } from "@/lib/workflows/queries";

/** Every definition, with `hold` (who paused the workflow and why) when no new instance of it may start. */
export const GET = apiRoute("instances:read", async ({ db }) => {
  const definitions = await listDefinitions(db);
  const { pauses } = await workflowPausesOf(db, [...new Set(definitions.map((d) => d.key))]);
  return Response.json({ items: definitions.map((d) => ({ ...d, hold: pauses.get(d.key) ?? null })) });
});
