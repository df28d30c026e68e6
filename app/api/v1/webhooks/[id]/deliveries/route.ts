import { apiRoute, searchParams } from "@/lib/api/respond";
import { listDeliveries } from "@/lib/webhooks/deliveries";

/** The subscription's newest deliveries (`limit` ≤ 100, default 50), each with every attempt. */
export const GET = apiRoute<{ id: string }>("webhooks:manage", async ({ request, params, db }) => Response.json({ items: await listDeliveries(db, params.id, searchParams(request)) }));
