import path from "node:path";
import { pathToFileURL } from "node:url";
import { defineCatalog, type RegisteredWorkflow } from "@/lib/workflows/sdk";

/**
 * The deployment's catalog (workflows/catalog.ts), or the module named by FLOWGATE_CATALOG (tests
 * run their own workflows). The one place the engine names the user's workflows, so the worker
 * runtime stays independent of them. Throws when the module exports no `catalog` array.
 */
export async function loadCatalog(modulePath: string | undefined): Promise<RegisteredWorkflow[]> {
  if (!modulePath) return (await import("@/workflows/catalog")).catalog;
  const mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as { catalog?: RegisteredWorkflow[] };
  if (!Array.isArray(mod.catalog)) throw new Error(`${modulePath} does not export a \`catalog\` array`);
  return defineCatalog(mod.catalog);
}

