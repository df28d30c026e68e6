import { apiRoute } from "@/lib/api/respond";
import { getBulkOperation } from "@/lib/bulk-operations/queries";

export const GET = apiRoute<{ id: string }>("instances:read", async ({ params, db }) => Response.json(await getBulkOperation(db, params.id)));
