import { apiRoute } from "@/lib/api/respond";
import { replayDelivery } from "@/lib/webhooks/deliveries";

/** Sends a delivery again (same webhook-id and body), as its next attempt, logged as a replay. */
export const POST = apiRoute<{ id: string }>("webhooks:manage", async ({ params, user, db }) => Response.json(await replayDelivery(db, { deliveryId: params.id }, user)));
