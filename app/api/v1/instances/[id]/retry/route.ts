import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { retryInstance } from "@/lib/instances/retry-instance";

export const POST = apiRoute<{ id: string }>("instances:retry", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  return Response.json(await retryInstance(db, { ...body, instanceId: params.id }, actorOf(user)));
});
