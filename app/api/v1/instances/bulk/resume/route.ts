import { apiRoute, jsonBody, searchParams } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { bulkAnswer, bulkCommand } from "@/lib/bulk-operations/commands";
import { countBulkTargets } from "@/lib/bulk-operations/start";

/** How many instances a resume by this filter (status, workflow, q) would act on now. */
export const GET = apiRoute("instances:read", async ({ request, db }) => Response.json(await countBulkTargets(db, "resume", searchParams(request))));

export const POST = apiRoute("instances:resume", async ({ request, user, db }) => bulkAnswer(await bulkCommand(db, "resume", await jsonBody(request), actorOf(user))));
