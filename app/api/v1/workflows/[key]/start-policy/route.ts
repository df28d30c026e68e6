import { apiRoute, jsonBody } from "@/lib/api/respond";
import { actorOf } from "@/lib/auth/permissions";
import { setStartPolicy } from "@/lib/workflows/start-policy";

/** Sets what the workflow does with new starts while it is paused: `{ policy: "refuse" | "queue", queueTtlSeconds?, reason? }`. */
export const POST = apiRoute<{ key: string }>("workflows:policy", async ({ request, params, user, db }) =>
  Response.json(await setStartPolicy(db, { ...(await jsonBody(request)), workflow: params.key }, actorOf(user))),
);
