import { getDb } from "@/db/client";
import { apiRoute, jsonBody } from "@/lib/api/respond";
import { delegateGate } from "@/lib/gates/delegate-gate";

export const POST = apiRoute<{ id: string }>("gates:decide", async ({ request, params, user }) =>
  Response.json(await delegateGate(getDb(), { ...(await jsonBody(request)), gateId: params.id }, user)),
);
