import { getDb } from "@/db/client";
import { apiRoute } from "@/lib/api/respond";
import { listDefinitions } from "@/lib/workflows/queries";

export const GET = apiRoute("instances:read", async () => Response.json({ items: await listDefinitions(getDb()) }));
