import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { resumeInstance } from "@/lib/instances/resume-instance";

export const POST = apiRoute<{ id: string }>("instances:resume", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  return Response.json(await resumeInstance(db, { ...body, instanceId: params.id }, actorOf(user)));
});
