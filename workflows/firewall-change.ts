import { z } from "zod";
import { work } from "./demo-time";
import { defineWorkflow } from "@/lib/workflows/sdk";

/**
 * A firewall rule change goes before the change advisory board (issue 14 §4): it needs 60 % of
 * the people who may decide it (the release managers, less whoever started it), counted when the
 * gate opens and again at each decision, so the board's size can change while it waits.
 */
export const firewallChange = defineWorkflow({
  key: "firewall-change",
  version: 1,
  name: "Firewall rule change",
  description: "Plans a firewall rule change, then needs 60 % of the change advisory board before it is applied.",
  input: z.object({ rule: z.string().min(1).max(200).default("allow tcp/5432 from 10.20.0.0/16 to db-primary"), ticket: z.string().max(100).default("CHG-1042") }),
  steps: {
    plan: {
      name: "Plan the change",
      run: async (ctx) => {
        await work(2000, ctx);
        ctx.updateContext({ rule: ctx.input.rule, ticket: ctx.input.ticket, affectedHosts: 14 });
      },
    },
    apply: {
      name: "Apply the rule",
      dependsOn: ["plan"],
      gate: {
        stage: "change advisory board",
        mode: "percent",
        percent: 60,
        groups: ["release-managers"],
        instructions: "Check the rule against the **network policy** and the ticket's rollback plan. The change goes ahead once 60 % of the board approves.",
        expiresAfterMs: 24 * 3600_000,
      },
      run: async (ctx) => {
        await work(3000, ctx);
        ctx.updateContext({ applied: true });
      },
    },
    verify: {
      name: "Verify connectivity",
      dependsOn: ["apply"],
      run: async (ctx) => {
        await work(2000, ctx);
        ctx.updateContext({ verified: true });
      },
    },
  },
});
