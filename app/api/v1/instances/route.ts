import { getDb } from "@/db/client";
import { apiRoute, jsonBody, searchParams } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { listInstances } from "@/lib/instances/queries";
import { startInstance } from "@/lib/instances/start-instance";
import { catalog } from "@/workflows/catalog";

export const GET = apiRoute("instances:read", async ({ request }) => Response.json(await listInstances(getDb(), searchParams(request))));

export const POST = apiRoute("instances:start", async ({ request, user }) =>
  Response.json(await startInstance(getDb(), await jsonBody(request), actorOf(user), { catalog }), { status: 201 }),
);
