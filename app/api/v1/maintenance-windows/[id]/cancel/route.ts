import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { cancelWindow } from "@/lib/maintenance/windows";

/** Calls a window off for good, with a reason (an active one ends now). */
export const POST = apiRoute<{ id: string }>("windows:manage", async ({ request, params, user, db }) =>
  Response.json(await cancelWindow(db, { ...(await jsonBody(request)), windowId: params.id }, actorOf(user))),
);
