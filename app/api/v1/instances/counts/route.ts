import { getDb } from "@/db/client";
import { apiRoute } from "@/lib/api/respond";
import { countByStatus } from "@/lib/instances/queries";

export const GET = apiRoute("instances:read", async () => Response.json(await countByStatus(getDb())));
