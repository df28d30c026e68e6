import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { resumeWorkflow } from "@/lib/workflows/workflow-pauses";

/** Releases a held workflow: new instances may start again. */
export const POST = apiRoute<{ key: string }>("workflows:resume", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  await resumeWorkflow(db, { ...body, workflow: params.key }, actorOf(user));
  return Response.json({ workflowKey: params.key, held: false });
});
