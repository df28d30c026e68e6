import { apiRoute, jsonBody } from "@/lib/api/respond";
import { deactivateUser } from "@/lib/users/manage-users";

/** Deactivates a user `{ reason }`: their sessions end and their tokens stop working until reactivated. */
export const POST = apiRoute<{ id: string }>("users:manage", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  return Response.json(await deactivateUser(db, { ...body, userId: params.id }, user));
});
