import { apiRoute, searchParams } from "@/lib/api/respond";
import { listBulkOperations } from "@/lib/bulk-operations/queries";

export const GET = apiRoute("instances:read", async ({ request, db }) => Response.json(await listBulkOperations(db, searchParams(request))));
