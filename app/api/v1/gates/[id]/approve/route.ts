import { apiRoute, jsonBody } from "@/lib/api/respond";
import { approveGate } from "@/lib/gates/decide-gate";

export const POST = apiRoute<{ id: string }>("gates:decide", async ({ request, params, user, db }) =>
  Response.json(await approveGate(db, { ...(await jsonBody(request)), gateId: params.id }, user)),
);
