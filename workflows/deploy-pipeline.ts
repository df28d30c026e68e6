import { z } from "zod";
import { work } from "./demo-time";
import { defineWorkflow } from "@/lib/workflows/sdk";

export const deployPipeline = defineWorkflow({
  key: "deploy-pipeline",
  version: 1,
  name: "Deploy pipeline",
  description: "Builds, tests and deploys a service: staging first, production only after sign-off.",
  // A release not shipped within a day is stale; time spent paused does not count.
  timeoutMs: 24 * 3600_000,
  input: z.object({
    service: z.string().min(1).max(100).default("checkout-api"),
    ref: z.string().min(1).max(100).default("main"),
  }),
  steps: {
    build: {
      name: "Build",
      run: async (ctx) => {
        await work(6000, ctx);
        ctx.updateContext({ artifact: `${ctx.input.service}:${ctx.input.ref}-${ctx.instanceId.slice(0, 7)}` });
      },
    },
    test: {
      name: "Test",
      dependsOn: ["build"],
      retries: 2,
      run: async (ctx) => {
        await work(9000, ctx);
        ctx.updateContext({ testsPassed: 412 });
      },
    },
    "deploy-staging": {
      name: "Deploy to staging",
      dependsOn: ["test"],
      run: async (ctx) => {
        await work(7000, ctx);
        ctx.updateContext({ stagingUrl: `https://staging.example.com/${ctx.input.service}` });
      },
    },
    "deploy-production": {
      name: "Deploy to production",
      dependsOn: ["deploy-staging"],
      gate: {
        stage: "staging approval",
        approvals: 1,
        approverRole: "approver",
        instructions: "Check the staging deployment: smoke tests green, error rate flat, no open incident.",
      },
      run: async (ctx) => {
        await work(8000, ctx);
        ctx.updateContext({ productionDeployedAt: new Date().toISOString() });
      },
    },
    verify: {
      name: "Verify production",
      dependsOn: ["deploy-production"],
      gate: {
        stage: "production approval",
        approvals: 2,
        groups: ["release-managers"],
        instructions: "Two approvers confirm the production rollout looks healthy before it is marked verified.",
      },
      run: async (ctx) => {
        await work(4000, ctx);
        ctx.updateContext({ verified: true });
      },
    },
  },
});
