import { apiRoute, jsonBody, searchParams } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { createWindow, listWindows } from "@/lib/maintenance/windows";

/** Scheduled and active windows by next start (`include=all`: every window, newest first). */
export const GET = apiRoute("instances:read", async ({ request, db }) => Response.json({ items: await listWindows(db, searchParams(request)) }));

/** Schedules a window: once (`startsAt`, `endsAt`) or recurring (`cron`, `timezone`, `durationMinutes`). */
export const POST = apiRoute("windows:manage", async ({ request, user, db }) => Response.json(await createWindow(db, await jsonBody(request), actorOf(user)), { status: 201 }));
