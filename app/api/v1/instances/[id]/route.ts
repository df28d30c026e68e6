import { getDb } from "@/db/client";
import { apiRoute } from "@/lib/api/respond";
import { getInstanceDetail } from "@/lib/instances/queries";

export const GET = apiRoute<{ id: string }>("instances:read", async ({ params }) => Response.json(await getInstanceDetail(getDb(), params.id)));
