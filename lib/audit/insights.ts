import "server-only";
import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";

export type DayCount = { day: string; workflow: string; count: number };
export type WorkflowTotal = { workflow: string; pausedMinutes: number; pauses: number };
export type GateWait = { stage: string; decided: number; medianMinutes: number; p95Minutes: number };
export type DailyOutcome = { day: string; forcedResumes: number; rejections: number };

const days = (n: number) => sql.raw(`interval '${Math.trunc(n)} days'`);

/** The numbers behind the overview: each an aggregate the history and gate tables answer directly. */
export async function insights(db: DbOrTx, windowDays = 14) {
  const [pauses, pausedTime, gateWaits, outcomes] = await Promise.all([
    db.execute<{ day: string; workflow: string; count: number }>(sql`
      select to_char(date_trunc('day', created_at at time zone 'utc'), 'YYYY-MM-DD') as day, workflow_key as workflow, count(*)::int as count
      from history where action = 'paused' and created_at >= now() - ${days(windowDays)}
      group by 1, 2 order by 1, 2`),
    db.execute<{ workflow: string; paused_ms: string; pauses: number }>(sql`
      select workflow_key as workflow, coalesce(sum((details->>'pausedForMs')::bigint), 0)::bigint as paused_ms, count(*)::int as pauses
      from history where action in ('resumed', 'force_resumed') and created_at >= now() - ${days(windowDays)}
      group by 1 order by 2 desc`),
    db.execute<{ stage: string; decided: number; median_s: number | null; p95_s: number | null }>(sql`
      select stage, count(*)::int as decided,
        percentile_cont(0.5) within group (order by extract(epoch from decided_at - requested_at)) as median_s,
        percentile_cont(0.95) within group (order by extract(epoch from decided_at - requested_at)) as p95_s
      from gates where decided_at is not null and status in ('approved', 'rejected') and decided_at >= now() - ${days(windowDays)}
      group by 1 order by 1`),
    db.execute<{ day: string; forced: number; rejected: number }>(sql`
      select to_char(date_trunc('day', created_at at time zone 'utc'), 'YYYY-MM-DD') as day,
        count(*) filter (where action = 'force_resumed')::int as forced,
        count(*) filter (where action = 'gate_rejected')::int as rejected
      from history where action in ('force_resumed', 'gate_rejected') and created_at >= now() - ${days(windowDays)}
      group by 1 order by 1`),
  ]);
  const minutes = (s: number | null) => Math.round(((s ?? 0) / 60) * 10) / 10;
  return {
    windowDays,
    pausesPerDay: [...pauses] as DayCount[],
    pausedTime: [...pausedTime].map((r) => ({ workflow: r.workflow, pausedMinutes: Math.round(Number(r.paused_ms) / 60_000), pauses: r.pauses })) as WorkflowTotal[],
    gateWaits: [...gateWaits].map((r) => ({ stage: r.stage, decided: r.decided, medianMinutes: minutes(r.median_s), p95Minutes: minutes(r.p95_s) })) as GateWait[],
    outcomes: [...outcomes].map((r) => ({ day: r.day, forcedResumes: r.forced, rejections: r.rejected })) as DailyOutcome[],
  };
}
export type Insights = Awaited<ReturnType<typeof insights>>;
