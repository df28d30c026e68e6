import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { workflowDefinitions, type WorkflowDefinition } from "@/db/schema";
import { canonicalJson } from "@/lib/canonical-json";
import { log } from "@/lib/log";
import { stepSpecs, type RegisteredWorkflow } from "./sdk";

/**
 * Registers each workflow's (key, version) once. A version is immutable: running instances
 * keep the definition they started with, so changed steps need a new version number.
 */
export async function registerDefinitions(db: Db, workflows: RegisteredWorkflow[]): Promise<WorkflowDefinition[]> {
  const rows: WorkflowDefinition[] = [];
  for (const workflow of workflows) {
    const steps = stepSpecs(workflow);
    await db
      .insert(workflowDefinitions)
      .values({ key: workflow.key, version: workflow.version, name: workflow.name, description: workflow.description, steps })
      .onConflictDoNothing();
    const [row] = await db
      .select()
      .from(workflowDefinitions)
      .where(and(eq(workflowDefinitions.key, workflow.key), eq(workflowDefinitions.version, workflow.version)));
    if (canonicalJson(row!.steps) !== canonicalJson(steps)) {
      log.warn({ workflow: workflow.key, version: workflow.version }, "steps differ from the registered definition; bump the version to change them");
    }
    rows.push(row!);
  }
  return rows;
}
