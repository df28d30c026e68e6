import type { Metadata } from "next";
import { openApiDocument } from "@/lib/api/openapi";
import { requirePage } from "@/lib/auth/current-user";
import { ApiReference } from "./api-reference";

export const metadata: Metadata = { title: "API reference" };
export const dynamic = "force-dynamic";

/**
 * The interactive reference of /api/v1 (Scalar), for signed-in users. The document is handed over
 * in the page rather than fetched, so the reference needs no second request to render.
 */
export default async function ApiDocsPage() {
  await requirePage("instances:read");
  return (
    <main>
      <h1 className="sr-only">Flowgate API reference</h1>
      <ApiReference document={JSON.parse(JSON.stringify(openApiDocument()))} />
    </main>
  );
}
