import { openApiDocument } from "@/lib/api/openapi";
import { apiRoute } from "@/lib/api/respond";

/** The OpenAPI 3.1 document of this API, generated from the schemas that validate it (lib/api/openapi.ts). */
export const GET = apiRoute("instances:read", async () => Response.json(openApiDocument()));
