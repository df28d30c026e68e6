import { getDb } from "@/db/client";
import { apiRoute, searchParams } from "@/lib/api/respond";
import { listInstances } from "@/lib/instances/queries";

export const GET = apiRoute("instances:read", async ({ request }) => Response.json(await listInstances(getDb(), searchParams(request))));
