import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { releaseWorkflow } from "@/lib/workflows/holds";

/** Releases a held workflow: new instances may start again. */
export const POST = apiRoute<{ key: string }>("workflows:resume", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  await releaseWorkflow(db, { ...body, workflow: params.key }, actorOf(user));
  return Response.json({ workflowKey: params.key, held: false });
});
