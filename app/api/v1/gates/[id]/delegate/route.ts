import { apiRoute, jsonBody } from "@/lib/api/respond";
import { delegateGate } from "@/lib/gates/delegate-gate";

export const POST = apiRoute<{ id: string }>("gates:decide", async ({ request, params, user, db }) =>
  Response.json(await delegateGate(db, { ...(await jsonBody(request)), gateId: params.id }, user)),
);
