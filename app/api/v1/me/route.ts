import { apiRoute } from "@/lib/api/respond";

/** The caller: `{ id, email, name, role, groups }`, for scripts and the CLI to learn who their token is. */
export const GET = apiRoute("instances:read", async ({ user }) => Response.json(user));
