import "server-only";
import { eq } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { maintenanceWindowLog, maintenanceWindows, type Actor, type MaintenanceWindow, type WindowLogAction } from "@/db/schema";
import { isUuid } from "@/lib/domain";
import { conflict, notFound } from "@/lib/errors";

/** Appends a row to the window's log (in the caller's transaction). */
export async function logWindow(tx: Tx, windowId: string, action: WindowLogAction, actor: Actor, reason: string | null, details: Record<string, unknown> = {}): Promise<void> {
  await tx.insert(maintenanceWindowLog).values({ windowId, action, reason, actorId: actor.id, actorLabel: actor.label, details });
}

/** Locks a window FOR UPDATE. Errors: not_found (unknown or malformed id), conflict (a stale expectedVersion). */
export async function lockWindow(tx: Tx, windowId: string, expectedVersion?: number): Promise<MaintenanceWindow> {
  if (!isUuid(windowId)) throw notFound("Maintenance window");
  const [row] = await tx.select().from(maintenanceWindows).where(eq(maintenanceWindows.id, windowId)).for("update");
  if (!row) throw notFound("Maintenance window");
  if (expectedVersion !== undefined && row.version !== expectedVersion) throw conflict("The window changed since you loaded it; reload and try again");
  return row;
}

