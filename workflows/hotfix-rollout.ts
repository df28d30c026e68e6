import { z } from "zod";
import { work } from "./demo-time";
import { defineWorkflow } from "@/lib/workflows/sdk";

/**
 * A hotfix goes to a canary, then a person decides (issue 14 §4): they fill a short form (where,
 * how fast, whether to tell customers) and choose a path, roll out or roll back. The gated step
 * records the decision; the path not chosen is skipped; `close` joins whichever path ran. Nobody
 * answering within four hours takes the safe path: roll back.
 */
export const hotfixRollout = defineWorkflow({
  key: "hotfix-rollout",
  version: 1,
  name: "Hotfix rollout",
  description: "Canary, then a go/no-go decision with a form: roll out everywhere or roll back.",
  input: z.object({ service: z.string().min(1).max(100).default("checkout-api"), fix: z.string().max(200).default("Null check in tax rounding") }),
  steps: {
    canary: {
      name: "Deploy to canary",
      run: async (ctx) => {
        await work(3000, ctx);
        ctx.updateContext({ canaryErrorRate: 0.2, canaryHosts: 2 });
      },
    },
    decide: {
      name: "Go / no-go",
      dependsOn: ["canary"],
      gate: {
        stage: "go / no-go",
        approverRole: "approver",
        instructions: "Compare the canary's error rate with the fleet's, then choose a path. **Roll back** if in doubt.",
        form: z.object({
          region: z.enum(["eu-west", "us-east", "all"]).default("all").describe("Where to roll out (ignored on roll back)"),
          batchSize: z.number().int().min(1).max(50).default(5).describe("Hosts per batch"),
          notifyCustomers: z.boolean().default(false).describe("Post on the status page"),
          note: z.string().max(500).optional().describe("Anything the on-call should know"),
        }),
        options: [
          { name: "rollout", label: "Roll out", next: "rollout" },
          { name: "rollback", label: "Roll back", next: "rollback" },
        ],
        expiresAfterMs: 4 * 3600_000,
        onExpiry: { step: "rollback" },
      },
      run: async (ctx) => {
        await work(500, ctx);
        ctx.updateContext({ decision: ctx.gate?.option ?? null, decidedWith: ctx.gate?.values ?? null });
      },
    },
    rollout: {
      name: "Roll out",
      dependsOn: ["decide"],
      run: async (ctx) => {
        await work(4000, ctx);
        ctx.updateContext({ rolledOut: true });
      },
    },
    rollback: {
      name: "Roll back the canary",
      dependsOn: ["decide"],
      run: async (ctx) => {
        await work(2000, ctx);
        ctx.updateContext({ rolledBack: true });
      },
    },
    postmortem: {
      name: "Open a postmortem",
      dependsOn: ["rollback"],
      run: async (ctx) => {
        await work(1000, ctx);
        ctx.updateContext({ postmortem: "PM-" + ctx.instanceId.slice(0, 6) });
      },
    },
    close: {
      name: "Close the change",
      dependsOn: ["rollout", "postmortem"],
      run: async (ctx) => {
        await work(1000, ctx);
        ctx.updateContext({ closed: true });
      },
    },
  },
});
