import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { pauseWorkflow } from "@/lib/workflows/workflow-pauses";

/** Holds the workflow: no new instance of it starts until it is resumed. */
export const POST = apiRoute<{ key: string }>("workflows:pause", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  return Response.json(await pauseWorkflow(db, { ...body, workflow: params.key }, actorOf(user)));
});
