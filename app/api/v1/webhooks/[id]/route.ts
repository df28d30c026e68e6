import { apiRoute, jsonBody } from "@/lib/api/respond";
import { deleteSubscription, getSubscription, updateSubscription } from "@/lib/webhooks/subscriptions";

/** One subscription, without its secret. */
export const GET = apiRoute<{ id: string }>("webhooks:manage", async ({ params, db }) => Response.json(await getSubscription(db, params.id)));

/** Changes `{ url?, eventTypes?, description?, active? }`; `active: true` clears the failure run and the reason. */
export const PATCH = apiRoute<{ id: string }>("webhooks:manage", async ({ request, params, user, db }) =>
  Response.json(await updateSubscription(db, { ...(await jsonBody(request)), subscriptionId: params.id }, user)),
);

/** Deletes the subscription with its deliveries and their log; answers what it was. */
export const DELETE = apiRoute<{ id: string }>("webhooks:manage", async ({ params, user, db }) => Response.json(await deleteSubscription(db, { subscriptionId: params.id }, user)));
