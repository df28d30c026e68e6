import { apiRoute } from "@/lib/api/respond";
import { listUsers } from "@/lib/users/manage-users";

/** Every user, with their status (deactivatedAt, deactivationReason) and count of active API tokens. */
export const GET = apiRoute("users:manage", async ({ db }) => Response.json({ items: await listUsers(db) }));
