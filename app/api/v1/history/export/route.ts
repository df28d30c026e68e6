import { z } from "zod";
import { apiRoute, searchParams } from "@/lib/api/respond";
import { exportFormats, exportHistory } from "@/lib/audit/export";
import { countHistory, historyQuery } from "@/lib/audit/queries";
import { parseInput } from "@/lib/validate";

const exportQuery = historyQuery.extend({ format: z.enum(exportFormats, { error: "Choose csv or ndjson" }).default("csv") });

/** The history filter as a file, streamed; X-Total-Count lets a client show progress. */
export const GET = apiRoute("history:read", async ({ request, db, sql }) => {
  const { format, ...filter } = parseInput(exportQuery, searchParams(request));
  const total = await countHistory(db, filter);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(exportHistory(db, sql, filter, format), {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="flowgate-history-${stamp}.${format}"`,
      "x-total-count": String(total),
      "cache-control": "no-store",
    },
  });
});
