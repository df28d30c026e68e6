import { apiRoute, jsonBody } from "@/lib/api/respond";
import { rejectGate } from "@/lib/gates/decide-gate";

export const POST = apiRoute<{ id: string }>("gates:decide", async ({ request, params, user, db }) =>
  Response.json(await rejectGate(db, { ...(await jsonBody(request)), gateId: params.id }, user)),
);
