import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { editWindow, windowWithLog } from "@/lib/maintenance/windows";

/** One window with its log (created, edited, started, ended, skipped, cancelled), oldest first. */
export const GET = apiRoute<{ id: string }>("instances:read", async ({ params, db }) => Response.json(await windowWithLog(db, params.id)));

/** Restates a scheduled window (all its fields, as on creation, with `expectedVersion` if known). */
export const PUT = apiRoute<{ id: string }>("windows:manage", async ({ request, params, user, db }) =>
  Response.json(await editWindow(db, { ...(await jsonBody(request)), windowId: params.id }, actorOf(user))),
);
