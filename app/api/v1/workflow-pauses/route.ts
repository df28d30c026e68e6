import { getDb } from "@/db/client";
import { apiRoute } from "@/lib/api/respond";
import { workflowPauseLog } from "@/lib/workflows/holds";

export const GET = apiRoute("history:read", async () => Response.json({ items: await workflowPauseLog(getDb()) }));
