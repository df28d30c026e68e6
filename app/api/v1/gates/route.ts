import { apiRoute, searchParams } from "@/lib/api/respond";
import { listGates } from "@/lib/gates/queries";

export const GET = apiRoute("instances:read", async ({ request, db }) => Response.json(await listGates(db, searchParams(request))));
