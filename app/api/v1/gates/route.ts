import { getDb } from "@/db/client";
import { apiRoute, searchParams } from "@/lib/api/respond";
import { listGates } from "@/lib/gates/queries";

export const GET = apiRoute("instances:read", async ({ request }) => Response.json(await listGates(getDb(), searchParams(request))));
