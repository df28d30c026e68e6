import "server-only";
import { asc, desc, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { instances, workflowDefinitions, type InstanceStatus } from "@/db/schema";
import { WORKFLOW_COUNT_CAP } from "@/lib/instances/limits";

/**
 * Every registered definition, newest version first within a key, with its instances counted by
 * status: each count stops at WORKFLOW_COUNT_CAP + 1 (shown "1,000+", lib/instances/limits.ts), as
 * the list's counts stop at theirs. One statement; each (definition, status) pair is a LIMIT over an index-only range
 * of instances_definition_status_idx, so its cost is bounded by the cap, not by how many instances
 * have ended (issue 15: a GROUP BY over every instance on each render of /workflows).
 */
export async function listDefinitions(db: DbOrTx, options: { cap?: number } = {}) {
  const limit = (options.cap ?? WORKFLOW_COUNT_CAP) + 1;
  const [defs, counts] = await Promise.all([
    db.select().from(workflowDefinitions).orderBy(asc(workflowDefinitions.key), desc(workflowDefinitions.version)),
    db.execute<{ definitionId: string; status: InstanceStatus; count: number }>(sql`
      select d.id as "definitionId", s.status, c.count
      from ${workflowDefinitions} d
      cross join unnest(enum_range(null::instance_status)) as s(status)
      cross join lateral (select count(*)::int as count from (select 1 from ${instances} i where i.definition_id = d.id and i.status = s.status limit ${limit}) x) c
      where c.count > 0`),
  ]);
  return defs.map((d) => ({
    ...d,
    counts: Object.fromEntries(counts.filter((c) => c.definitionId === d.id).map((c) => [c.status, c.count])) as Partial<Record<InstanceStatus, number>>,
  }));
}
