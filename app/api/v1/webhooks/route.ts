import { apiRoute, jsonBody } from "@/lib/api/respond";
import { createSubscription, listSubscriptions } from "@/lib/webhooks/subscriptions";

/** Every webhook subscription, newest first, never with its secret. */
export const GET = apiRoute("webhooks:manage", async ({ db }) => Response.json({ items: await listSubscriptions(db) }));

/** Creates a subscription `{ url, eventTypes?, description?, active? }`: 201 with the row and `secret`, shown this once. */
export const POST = apiRoute("webhooks:manage", async ({ request, user, db }) => {
  const { view, secret } = await createSubscription(db, await jsonBody(request), user);
  return Response.json({ ...view, secret }, { status: 201 });
});
