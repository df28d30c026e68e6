import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { endWindowEarly } from "@/lib/maintenance/windows";

/** Ends an active window's occurrence now, with a reason; its instances are then resumed, paced. */
export const POST = apiRoute<{ id: string }>("windows:manage", async ({ request, params, user, db }) =>
  Response.json(await endWindowEarly(db, { ...(await jsonBody(request)), windowId: params.id }, actorOf(user))),
);
