import { apiRoute, jsonBody } from "@/lib/api/respond";
import { reactivateUser } from "@/lib/users/manage-users";

/** Reactivates a deactivated user; their unexpired, unrevoked tokens work again. */
export const POST = apiRoute<{ id: string }>("users:manage", async ({ request, params, user, db }) => {
  await jsonBody(request);
  return Response.json(await reactivateUser(db, { userId: params.id }, user));
});
