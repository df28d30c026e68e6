import "server-only";
import { desc } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { auditCheckpoints, type AuditCheckpoint } from "@/db/schema";

export async function latestCheckpoint(db: DbOrTx): Promise<AuditCheckpoint | null> {
  const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
  return row ?? null;
}
