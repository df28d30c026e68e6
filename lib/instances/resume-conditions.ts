import "server-only";
import type { Tx } from "@/db/client";
import type { Instance } from "@/db/schema";

export type ResumeCheck = { ok: true } | { ok: false; message: string };
export type ResumeCondition = (ctx: { instance: Instance; tx: Tx }) => Promise<ResumeCheck> | ResumeCheck;

/*
 * Workflow definitions register their conditions by key (defineCatalog does it). One map per
 * process, kept on globalThis: instrumentation.ts registers the catalog at server start, in a
 * bundle of its own, and every route and page must see that registration whatever it imports and
 * whatever was loaded first (`next start` preloads every route, `next dev` compiles them lazily;
 * without it a REST resume depended on some page having imported the catalog before).
 */
const store = globalThis as unknown as { flowgateResumeConditions?: Map<string, ResumeCondition> };
const conditions = (store.flowgateResumeConditions ??= new Map<string, ResumeCondition>());

export function registerResumeCondition(workflowKey: string, condition: ResumeCondition): void {
  conditions.set(workflowKey, condition);
}

/** Registers the conditions of every workflow that declares one (the catalog, or a test's). */
export function registerResumeConditions(workflows: { key: string; resumeCondition?: (ctx: { instance: Instance }) => Promise<ResumeCheck> | ResumeCheck }[]): void {
  for (const workflow of workflows) {
    const condition = workflow.resumeCondition;
    if (condition) registerResumeCondition(workflow.key, ({ instance }) => condition({ instance }));
  }
}

/** Runs the workflow's resume condition, if it has one; a throwing condition counts as not met. */
export async function checkResumeCondition(tx: Tx, instance: Instance): Promise<ResumeCheck> {
  const condition = conditions.get(instance.workflowKey);
  if (!condition) return { ok: true };
  try {
    return await condition({ instance, tx });
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
