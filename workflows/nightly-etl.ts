import os from "node:os";
import { z } from "zod";
import { work } from "./demo-time";
import { defineWorkflow } from "@/lib/workflows/sdk";

const LOAD_LIMIT = 0.9;
const loadPerCore = () => os.loadavg()[0]! / Math.max(1, os.cpus().length);

export const nightlyEtl = defineWorkflow({
  key: "nightly-etl",
  version: 1,
  name: "Nightly ETL",
  description: "Extracts the day's data, transforms three feeds in parallel and loads the warehouse.",
  input: z.object({
    // "random" is the demo's one run in five; tests and rehearsals pick "never" or "always".
    loadCheck: z.enum(["random", "never", "always"]).default("random"),
  }),
  steps: {
    extract: {
      name: "Extract",
      run: async (ctx) => {
        await work(8000, ctx);
        ctx.updateContext({ rowsExtracted: 1_250_000 + Math.floor(Math.random() * 50_000) });
        // One run in five meets a busy warehouse and steps aside, as the backlog's example does.
        const busy = ctx.input.loadCheck === "always" || (ctx.input.loadCheck === "random" && Math.random() < 0.2);
        if (busy) ctx.pauseWorkflow("High system load detected");
      },
    },
    "transform-orders": { name: "Transform orders", dependsOn: ["extract"], run: async (ctx) => { await work(10000, ctx); ctx.updateContext({ orders: "ok" }); } },
    "transform-customers": { name: "Transform customers", dependsOn: ["extract"], run: async (ctx) => { await work(7000, ctx); ctx.updateContext({ customers: "ok" }); } },
    "transform-inventory": { name: "Transform inventory", dependsOn: ["extract"], run: async (ctx) => { await work(12000, ctx); ctx.updateContext({ inventory: "ok" }); } },
    load: {
      name: "Load warehouse",
      dependsOn: ["transform-orders", "transform-customers", "transform-inventory"],
      run: async (ctx) => {
        await work(9000, ctx);
        ctx.updateContext({ loadedAt: new Date().toISOString() });
      },
    },
  },
  // `loadCheck` simulates the load the demo reacts to: "random" reads the machine's real load,
  // "never" and "always" make the step's check and this condition predictable (demos, tests).
  resumeCondition: ({ instance }) => {
    const mode = instance.input.loadCheck;
    if (mode === "never") return { ok: true };
    if (mode === "always") return { ok: false, message: `system load stays above ${LOAD_LIMIT} per core (loadCheck: always); force the resume` };
    const load = loadPerCore();
    return load < LOAD_LIMIT
      ? { ok: true }
      : { ok: false, message: `system load is ${load.toFixed(2)} per core, above ${LOAD_LIMIT}; wait, or force the resume` };
  },
});
