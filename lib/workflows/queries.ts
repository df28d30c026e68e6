import "server-only";
import { asc, desc, sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { instances, workflowDefinitions, type InstanceStatus } from "@/db/schema";

/** Every registered definition, newest version first within a key, with its instances counted by status. */
export async function listDefinitions(db: DbOrTx) {
  const [defs, counts] = await Promise.all([
    db.select().from(workflowDefinitions).orderBy(asc(workflowDefinitions.key), desc(workflowDefinitions.version)),
    db
      .select({ definitionId: instances.definitionId, status: instances.status, count: sql<number>`count(*)::int` })
      .from(instances)
      .groupBy(instances.definitionId, instances.status),
  ]);
  return defs.map((d) => ({
    ...d,
    counts: Object.fromEntries(counts.filter((c) => c.definitionId === d.id).map((c) => [c.status, c.count])) as Partial<Record<InstanceStatus, number>>,
  }));
}
