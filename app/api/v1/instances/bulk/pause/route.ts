import { apiRoute, jsonBody, searchParams } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { bulkAnswer, bulkCommand } from "@/lib/bulk-operations/commands";
import { countBulkTargets } from "@/lib/bulk-operations/start";

/** How many instances a pause by this filter (status, workflow, q) would act on now. */
export const GET = apiRoute("instances:read", async ({ request, db }) => Response.json(await countBulkTargets(db, "pause", searchParams(request))));

export const POST = apiRoute("instances:pause", async ({ request, user, db }) => bulkAnswer(await bulkCommand(db, "pause", await jsonBody(request), actorOf(user))));
