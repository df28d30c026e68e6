import { defineCatalog, type RegisteredWorkflow } from "@/lib/workflows/sdk";
import { accessRequest } from "./access-request";
import { databaseMigration } from "./database-migration";
import { deployPipeline } from "./deploy-pipeline";
import { firewallChange } from "./firewall-change";
import { hotfixRollout } from "./hotfix-rollout";
import { nightlyEtl } from "./nightly-etl";
import { reportExport } from "./report-export";

/**
 * Every workflow this deployment runs: user code, importing only the SDK. The worker registers
 * them (engine/load-catalog.ts), the dashboard starts them and reads their rules, the seed
 * registers them too. defineCatalog also makes their resume conditions known to this process.
 */
export const catalog: RegisteredWorkflow[] = defineCatalog([deployPipeline, nightlyEtl, databaseMigration, accessRequest, hotfixRollout, reportExport, firewallChange]);

/** The catalog entry of a workflow key (and version, if given), or undefined when this deployment has no code for it. */
export function findWorkflow(key: string, version?: number): RegisteredWorkflow | undefined {
  return catalog.find((w) => w.key === key && (version === undefined || w.version === version));
}
