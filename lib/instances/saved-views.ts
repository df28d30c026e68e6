import "server-only";
import { and, asc, eq, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "@/db/client";
import { savedViews, users, type SavedView } from "@/db/schema";
import { authorize, can, type SessionUser } from "@/lib/auth/permissions";
import { isUuid } from "@/lib/domain";
import { conflict, forbidden, invalid, notFound } from "@/lib/errors";
import { requiredText } from "@/lib/text";
import { parseInput } from "@/lib/validate";
import { instanceListFilter, toQueryString, type InstanceListFilter } from "./list-filter";

/*
 * Saved views of the instance list: a name for a filter and sort (list-filter.ts), personal or
 * shared with everyone who reads instances. Only the owner renames or deletes a view; an admin
 * (`views:delete-shared`) may also delete someone else's shared one. Pages, actions and any
 * future REST route call these functions; none re-checks ownership itself.
 */

const name = requiredText({ label: "Name", max: 60, required: "Give the view a name" });
/** A checkbox as a form sends it ("on" or absent), or a JSON boolean. */
const checkbox = z.union([z.boolean(), z.literal("on"), z.literal("true"), z.literal("false"), z.literal("")]).optional().transform((v) => v === true || v === "on" || v === "true");

/** Saving the list's current state: a name, whether the team sees it, and the filter (every field of `instanceListFilter`). */
export const createSavedViewInput = z.object({ name, shared: checkbox, filter: instanceListFilter });
export const renameSavedViewInput = z.object({ name, version: z.coerce.number().int().min(1) });

/** A view as the list shows it: its filter parsed again, and the URL query string that opens it. */
export type SavedViewItem = Pick<SavedView, "id" | "name" | "shared" | "version" | "ownerId"> & { ownerLabel: string; mine: boolean; filter: InstanceListFilter; query: string };

function toItem(row: Pick<SavedView, "id" | "name" | "shared" | "version" | "ownerId" | "filter"> & { ownerLabel: string }, user: SessionUser): SavedViewItem | null {
  // Parsed again on the way out: a view saved under older rules must not bypass today's boundary.
  const parsed = instanceListFilter.safeParse(row.filter);
  if (!parsed.success) return null;
  const f = parsed.data;
  const query = toQueryString({ status: f.status, workflow: f.workflow ?? "", q: f.q ?? "", input: f.input ?? "", sort: f.sort });
  return { id: row.id, name: row.name, shared: row.shared, version: row.version, ownerId: row.ownerId, ownerLabel: row.ownerLabel, mine: row.ownerId === user.id, filter: f, query };
}

/** The views `user` sees: their own (shared or not), then the ones others share; each group by name. */
export async function listSavedViews(db: DbOrTx, user: SessionUser): Promise<SavedViewItem[]> {
  authorize(user, "instances:read");
  const rows = await db
    .select({ id: savedViews.id, name: savedViews.name, shared: savedViews.shared, version: savedViews.version, ownerId: savedViews.ownerId, filter: savedViews.filter, ownerLabel: users.email })
    .from(savedViews)
    .innerJoin(users, eq(users.id, savedViews.ownerId))
    .where(or(eq(savedViews.ownerId, user.id), eq(savedViews.shared, true)))
    .orderBy(sql`${savedViews.ownerId} <> ${user.id}`, asc(sql`lower(${savedViews.name})`), asc(savedViews.id));
  return rows.map((r) => toItem(r, user)).filter((v): v is SavedViewItem => v !== null);
}

/** The owner-and-name unique index refused the row (drizzle wraps the driver's error as `cause`). */
function isNameTaken(error: unknown): boolean {
  const pg = ((error as { cause?: unknown }).cause ?? error) as { code?: string; constraint_name?: string };
  return pg.code === "23505" && pg.constraint_name === "saved_views_owner_name_idx";
}
const nameTaken = (value: string) => invalid(`You already have a view named "${value}"`, { name: [`You already have a view named "${value}"; pick another name`] });

/** Saves a view owned by `user`. Throws `invalid` (field errors) for a bad name or filter, or a name the user already uses. */
export async function createSavedView(db: DbOrTx, user: SessionUser, raw: unknown): Promise<SavedViewItem> {
  authorize(user, "views:save");
  const input = parseInput(createSavedViewInput, raw);
  try {
    const [row] = await db.insert(savedViews).values({ ownerId: user.id, name: input.name, shared: input.shared, filter: input.filter }).returning();
    return toItem({ ...row!, ownerLabel: user.email }, user)!;
  } catch (error) {
    if (isNameTaken(error)) throw nameTaken(input.name);
    throw error;
  }
}

/** Locks the view `id` for a change by `user`; throws not found (also for a malformed id, or another's personal view). */
async function lockView(tx: DbOrTx, user: SessionUser, id: string): Promise<SavedView> {
  if (!isUuid(id)) throw notFound("Saved view");
  const [row] = await tx.select().from(savedViews).where(eq(savedViews.id, id)).for("update");
  // Someone else's personal view does not exist as far as this user can tell.
  if (!row || (row.ownerId !== user.id && !row.shared)) throw notFound("Saved view");
  return row;
}

/**
 * Renames the view `id`: its owner only, and only from the version they saw (`version`), so two
 * tabs renaming at once cannot overwrite each other silently. Throws forbidden, not found,
 * conflict (stale version) or invalid (bad or taken name).
 */
export async function renameSavedView(db: DbOrTx, user: SessionUser, id: string, raw: unknown): Promise<SavedViewItem> {
  authorize(user, "views:save");
  const input = parseInput(renameSavedViewInput, raw);
  return db.transaction(async (tx) => {
    const row = await lockView(tx, user, id);
    if (row.ownerId !== user.id) throw forbidden("Only the view's owner can rename it");
    if (row.version !== input.version) throw conflict(`The view was changed meanwhile; it is now named "${row.name}"`);
    try {
      const [updated] = await tx
        .update(savedViews)
        .set({ name: input.name, version: sql`${savedViews.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(savedViews.id, id), eq(savedViews.version, input.version)))
        .returning();
      return toItem({ ...updated!, ownerLabel: user.email }, user)!;
    } catch (error) {
      if (isNameTaken(error)) throw nameTaken(input.name);
      throw error;
    }
  });
}

/**
 * Deletes the view `id`: its owner, or an admin (`views:delete-shared`) when it is shared.
 * Returns the deleted view's name. Throws forbidden or not found.
 */
export async function deleteSavedView(db: DbOrTx, user: SessionUser, id: string): Promise<string> {
  authorize(user, "views:save");
  return db.transaction(async (tx) => {
    const row = await lockView(tx, user, id);
    if (row.ownerId !== user.id && !can(user, "views:delete-shared")) throw forbidden("Only the view's owner (or an admin, for a shared view) can delete it");
    await tx.delete(savedViews).where(eq(savedViews.id, id));
    return row.name;
  });
}
