import { apiRoute } from "@/lib/api/respond";
import { getInstanceDetail } from "@/lib/instances/queries";

export const GET = apiRoute<{ id: string }>("instances:read", async ({ params, db }) => Response.json(await getInstanceDetail(db, params.id)));
