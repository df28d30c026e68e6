import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { cancelBulkOperation } from "@/lib/bulk-operations/cancel";
import { getBulkOperation } from "@/lib/bulk-operations/queries";

// instances:read to reach it; cancelBulkOperation then asks for the operation's own action's permission.
export const POST = apiRoute<{ id: string }>("instances:read", async ({ request, params, user, db }) => {
  await cancelBulkOperation(db, params.id, await jsonBody(request), user, actorOf(user));
  return Response.json(await getBulkOperation(db, params.id));
});
