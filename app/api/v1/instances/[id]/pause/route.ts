import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { pauseInstance } from "@/lib/instances/pause-instance";

export const POST = apiRoute<{ id: string }>("instances:pause", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  return Response.json(await pauseInstance(db, { ...body, instanceId: params.id }, actorOf(user)));
});
