import { apiRoute } from "@/lib/api/respond";
import { countByStatus } from "@/lib/instances/queries";

export const GET = apiRoute("instances:read", async ({ db }) => Response.json(await countByStatus(db)));
