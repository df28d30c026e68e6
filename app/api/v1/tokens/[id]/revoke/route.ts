import { apiRoute, jsonBody } from "@/lib/api/respond";
import { revokeToken } from "@/lib/users/tokens";

/** Revokes a token `{ reason? }`, yours or (admins) anyone's; it stops working at once. 409 when already revoked. */
export const POST = apiRoute<{ id: string }>("tokens:own", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  return Response.json(await revokeToken(db, { ...body, tokenId: params.id }, user));
});
