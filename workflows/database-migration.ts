import { z } from "zod";
import { work } from "./demo-time";
import { defineWorkflow } from "@/lib/workflows/sdk";

export const databaseMigration = defineWorkflow({
  key: "database-migration",
  version: 1,
  name: "Database migration",
  description: "Generates a schema migration, stops for a human review, then applies it.",
  input: z.object({ database: z.string().min(1).max(100).default("orders") }),
  steps: {
    generate: {
      name: "Generate migration",
      run: async (ctx) => {
        await work(5000, ctx);
        ctx.updateContext({ migration: `0042_${ctx.input.database}_add_index.sql`, statements: 3 });
      },
    },
    apply: {
      name: "Apply migration",
      dependsOn: ["generate"],
      // The review point: an operator reads the generated SQL, then resumes.
      pauseBefore: true,
      timeoutMs: 120_000,
      run: async (ctx) => {
        await work(10000, ctx);
        ctx.updateContext({ appliedAt: new Date().toISOString() });
      },
    },
  },
  // Setup/teardown: a paused migration must not hold the schema lock open for hours.
  onPause: ({ instance, log }) => log.info({ instanceId: instance.id }, "released the migration lock while paused"),
  onResume: ({ instance, log }) => log.info({ instanceId: instance.id }, "reacquired the migration lock"),
});
