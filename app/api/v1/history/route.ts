import { historyQuery, listHistory } from "@/lib/audit/queries";
import { apiRoute, searchParams } from "@/lib/api/respond";
import { parseInput } from "@/lib/validate";

export const GET = apiRoute("history:read", async ({ request, db }) =>
  Response.json(await listHistory(db, parseInput(historyQuery, searchParams(request)))),
);
