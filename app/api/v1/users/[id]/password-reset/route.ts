import { apiRoute, jsonBody } from "@/lib/api/respond";
import { issuePasswordReset, RESET_PATH } from "@/lib/users/password-reset";

/** Issues a one-time password-reset link for the user: 201 `{ url, expiresAt }`, shown this once. */
export const POST = apiRoute<{ id: string }>("users:manage", async ({ request, params, user, db }) => {
  await jsonBody(request);
  const { token, expiresAt, email } = await issuePasswordReset(db, { userId: params.id }, user);
  const url = new URL(`${RESET_PATH}?token=${encodeURIComponent(token)}`, request.url).toString();
  return Response.json({ email, url, expiresAt }, { status: 201 });
});
