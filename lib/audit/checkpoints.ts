import "server-only";
import { count, desc, gt } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { auditCheckpoints, history, type AuditCheckpoint } from "@/db/schema";

export async function latestCheckpoint(db: DbOrTx): Promise<AuditCheckpoint | null> {
  const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
  return row ?? null;
}

/**
 * History rows written after a checkpoint's `throughId`: what the last verification did not
 * cover, so the history page never presents a checkpoint as proof for the whole log. A primary
 * key range, cheap however long the history.
 */
export async function rowsAfter(db: DbOrTx, throughId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(history).where(gt(history.id, throughId));
  return row?.n ?? 0;
}
