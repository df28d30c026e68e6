import { getDb } from "@/db/client";
import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { cancelInstance } from "@/lib/instances/cancel-instance";

export const POST = apiRoute<{ id: string }>("instances:cancel", async ({ request, params, user }) =>
  Response.json(await cancelInstance(getDb(), { ...(await jsonBody(request)), instanceId: params.id }, actorOf(user))),
);
