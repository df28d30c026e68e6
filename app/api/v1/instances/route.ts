import { apiRoute, jsonBody, searchParams } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { listInstances } from "@/lib/instances/queries";
import { startInstance } from "@/lib/instances/start-instance";
import { catalog } from "@/workflows/catalog";

export const GET = apiRoute("instances:read", async ({ request, db }) => Response.json(await listInstances(db, searchParams(request))));

export const POST = apiRoute("instances:start", async ({ request, user, db }) =>
  Response.json(await startInstance(db, await jsonBody(request), actorOf(user), { catalog }), { status: 201 }),
);
