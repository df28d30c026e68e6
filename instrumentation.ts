/**
 * Runs once when the Next.js server starts, before it serves a request: the deployment's catalog
 * registers its workflows' resume conditions (workflows/catalog.ts → defineCatalog), so every
 * resume, through a page, a server action or the REST API, checks them from the first request on.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./workflows/catalog");
}
