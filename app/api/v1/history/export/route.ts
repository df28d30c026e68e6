import { apiRoute, searchParams } from "@/lib/api/respond";
import { exportHistory, historyExportQuery } from "@/lib/audit/export";
import { countHistory } from "@/lib/audit/queries";
import { parseInput } from "@/lib/validate";

/** The history filter as a file, streamed; X-Total-Count lets a client show progress. */
export const GET = apiRoute("history:read", async ({ request, db, sql }) => {
  const { format, ...filter } = parseInput(historyExportQuery, searchParams(request));
  const total = await countHistory(db, filter);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  return new Response(exportHistory(db, sql, filter, format, { signal: request.signal }), {
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="flowgate-history-${stamp}.${format}"`,
      "x-total-count": String(total),
      "cache-control": "no-store",
    },
  });
});
