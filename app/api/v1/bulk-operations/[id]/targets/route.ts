import { apiRoute, searchParams } from "@/lib/api/respond";
import { listBulkTargets } from "@/lib/bulk-operations/queries";

export const GET = apiRoute<{ id: string }>("instances:read", async ({ request, params, db }) => Response.json(await listBulkTargets(db, params.id, searchParams(request))));
