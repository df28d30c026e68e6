/**
 * The workflows bench:scale's worker processes run (FLOWGATE_CATALOG points here): bench:engine's
 * no-op chain of ten steps, so the figure is the engine's own cost per step, not a step's work.
 */
import { defineWorkflow, type RegisteredWorkflow } from "@/lib/workflows/sdk";

/** Steps in one chain. */
export const CHAIN_LENGTH = 10;

const noop = () => undefined;

export const catalog: RegisteredWorkflow[] = [
  defineWorkflow({
    key: "bench-chain",
    version: 1,
    name: "No-op chain",
    steps: Object.fromEntries(Array.from({ length: CHAIN_LENGTH }, (_, i) => [`s${i}`, { dependsOn: i ? [`s${i - 1}`] : [], run: noop }])),
  }),
];
