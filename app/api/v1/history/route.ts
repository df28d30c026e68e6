import { getDb } from "@/db/client";
import { historyQuery, listHistory } from "@/lib/audit/queries";
import { apiRoute, searchParams } from "@/lib/api/respond";
import { parseInput } from "@/lib/validate";

export const GET = apiRoute("history:read", async ({ request }) =>
  Response.json(await listHistory(getDb(), parseInput(historyQuery, searchParams(request)))),
);
