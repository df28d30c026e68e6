import { apiRoute, jsonBody } from "@/lib/api/respond";
import { issueToken, listTokens } from "@/lib/users/tokens";

/** The user's API tokens, newest first (never the tokens themselves): yours, or anyone's for an admin. */
export const GET = apiRoute<{ id: string }>("tokens:own", async ({ params, user, db }) => Response.json({ items: await listTokens(db, params.id, user) }));

/** Issues a token `{ name, expiresInDays? }` (7, 30, 90 default, 365 or "never"): 201 `{ token, ...row }`, the token shown this once. */
export const POST = apiRoute<{ id: string }>("tokens:own", async ({ request, params, user, db }) => {
  const body = await jsonBody(request);
  const { token, view } = await issueToken(db, { ...body, userId: params.id }, user);
  return Response.json({ ...view, token }, { status: 201 });
});
