import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { bulkResume } from "@/lib/instances/bulk";

export const POST = apiRoute("instances:resume", async ({ request, user, db }) => Response.json(await bulkResume(db, await jsonBody(request), actorOf(user))));
