import { inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { workflowDefinitions, type StepSpec } from "@/db/schema";
import type { RegisteredWorkflow } from "@/lib/workflows/sdk";

export type KnownDefinition = { id: string; key: string; version: number; specs: StepSpec[]; workflow: RegisteredWorkflow };

/**
 * Definition rows joined with the code that runs them. The steps' metadata comes from the row
 * (what the instance started with), the code from the catalog entry of the same key and version;
 * a version this process has no code for is unknown here, and its steps are left to a worker that has it.
 */
export class Definitions {
  private byId = new Map<string, KnownDefinition>();

  constructor(readonly catalog: RegisteredWorkflow[]) {}

  /** Ids of the definitions this process can run, for the claim's filter. */
  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** Workflow keys whose catalog entry has onPause or onResume hooks. */
  hookedKeys(): string[] {
    return [...new Set(this.catalog.filter((w) => w.onPause || w.onResume).map((w) => w.key))];
  }

  async load(db: DbOrTx): Promise<void> {
    const keys = [...new Set(this.catalog.map((w) => w.key))];
    if (!keys.length) return;
    const rows = await db.select().from(workflowDefinitions).where(inArray(workflowDefinitions.key, keys));
    for (const row of rows) this.remember(row);
  }

  /** A definition already loaded (every claimable one is: the claim filters on `ids()`). */
  known(id: string): KnownDefinition | undefined {
    return this.byId.get(id);
  }

  private remember(row: { id: string; key: string; version: number; steps: StepSpec[] }): KnownDefinition | undefined {
    const workflow = this.catalog.find((w) => w.key === row.key && w.version === row.version);
    if (!workflow) return undefined;
    const known = { id: row.id, key: row.key, version: row.version, specs: row.steps, workflow };
    this.byId.set(row.id, known);
    return known;
  }
}
