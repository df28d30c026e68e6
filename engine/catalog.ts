import { registerResumeConditions } from "@/lib/instances/resume-conditions";
import type { RegisteredWorkflow } from "./sdk";
import { accessRequest } from "./workflows/access-request";
import { databaseMigration } from "./workflows/database-migration";
import { deployPipeline } from "./workflows/deploy-pipeline";
import { nightlyEtl } from "./workflows/nightly-etl";

/** Every workflow this deployment runs. The worker registers them; the dashboard reads their rules. */
export const catalog: RegisteredWorkflow[] = [deployPipeline, nightlyEtl, databaseMigration, accessRequest];

registerResumeConditions(catalog);

export function findWorkflow(key: string, version?: number): RegisteredWorkflow | undefined {
  return catalog.find((w) => w.key === key && (version === undefined || w.version === version));
}
