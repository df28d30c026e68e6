import { sql } from "drizzle-orm";
import { getDb } from "@/db/client";
import { RETRY_AFTER_SECONDS } from "@/lib/db-unavailable";

export const dynamic = "force-dynamic";

/**
 * How long the check waits for `select 1` before calling the database down. A load balancer
 * wants an answer, not a hang: a connect to a stopped server is refused at once, but one to a
 * hung server or through a full pool would otherwise wait for the connect or statement timeout.
 */
const HEALTH_DEADLINE_MS = 2_000;

/**
 * Liveness and database reachability, for load balancers and `npm start`'s newcomers alike:
 * 200 `{ status: "ok", database: { status: "up", latencyMs } }`, or within HEALTH_DEADLINE_MS
 * 503 `{ status: "degraded", database: { status: "down", reason } }` with `Retry-After`.
 */
export async function GET() {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), HEALTH_DEADLINE_MS);
  });
  try {
    // The query may outlive the answer; its late failure is swallowed so it cannot go unhandled.
    const query = getDb().execute(sql`select 1`).then(() => "up" as const);
    query.catch(() => {});
    const outcome = await Promise.race([query, deadline]);
    if (outcome === "up") return Response.json({ status: "ok", database: { status: "up", latencyMs: Math.round(performance.now() - started) } });
    return down(`no answer within ${HEALTH_DEADLINE_MS} ms`);
  } catch {
    return down("unreachable");
  } finally {
    clearTimeout(timer);
  }
}

function down(reason: string): Response {
  return Response.json({ status: "degraded", database: { status: "down", reason } }, { status: 503, headers: { "retry-after": String(RETRY_AFTER_SECONDS) } });
}
