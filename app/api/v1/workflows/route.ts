import { apiRoute } from "@/lib/api/respond";
import { holdsOf } from "@/lib/workflows/holds";
import { listDefinitions } from "@/lib/workflows/queries";

/** Every definition, with `hold` (who paused the workflow and why) when no new instance of it may start. */
export const GET = apiRoute("instances:read", async ({ db }) => {
  const definitions = await listDefinitions(db);
  const { holds } = await holdsOf(db, [...new Set(definitions.map((d) => d.key))]);
  return Response.json({ items: definitions.map((d) => ({ ...d, hold: holds.get(d.key) ?? null })) });
});
