import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { bulkPause } from "@/lib/instances/bulk";

export const POST = apiRoute("instances:pause", async ({ request, user, db }) => Response.json(await bulkPause(db, await jsonBody(request), actorOf(user))));
