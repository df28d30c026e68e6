import path from "node:path";
import { pathToFileURL } from "node:url";
import { registerResumeConditions } from "@/lib/instances/resume-conditions";
import type { RegisteredWorkflow } from "./sdk";

/** The deployment's catalog, or the module named by FLOWGATE_CATALOG (tests run their own workflows). */
export async function loadCatalog(modulePath: string | undefined): Promise<RegisteredWorkflow[]> {
  if (!modulePath) return (await import("./catalog")).catalog;
  const mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as { catalog?: RegisteredWorkflow[] };
  if (!Array.isArray(mod.catalog)) throw new Error(`${modulePath} does not export a \`catalog\` array`);
  registerResumeConditions(mod.catalog);
  return mod.catalog;
}

