import { getDb } from "@/db/client";
import { apiRoute, jsonBody } from "@/lib/api/respond";
import { approveGate } from "@/lib/gates/decide-gate";

export const POST = apiRoute<{ id: string }>("gates:decide", async ({ request, params, user }) =>
  Response.json(await approveGate(getDb(), { ...(await jsonBody(request)), gateId: params.id }, user)),
);
