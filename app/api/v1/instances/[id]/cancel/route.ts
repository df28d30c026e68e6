import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { cancelInstance } from "@/lib/instances/cancel-instance";

export const POST = apiRoute<{ id: string }>("instances:cancel", async ({ request, params, user, db }) =>
  Response.json(await cancelInstance(db, { ...(await jsonBody(request)), instanceId: params.id }, actorOf(user))),
);
