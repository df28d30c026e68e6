import { getDb } from "@/db/client";
import { apiRoute } from "@/lib/api/respond";
import { recentAccessChanges } from "@/lib/users/access-log";

export const GET = apiRoute("access:read", async () => Response.json({ items: await recentAccessChanges(getDb()) }));
