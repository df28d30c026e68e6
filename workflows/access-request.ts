import { z } from "zod";
import { work } from "./demo-time";
import { defineWorkflow } from "@/lib/workflows/sdk";

export const accessRequest = defineWorkflow({
  key: "access-request",
  version: 1,
  name: "Production access request",
  description: "Grants temporary production access once both an approver and an admin have signed.",
  input: z.object({
    engineer: z.string().email().max(200).default("sam@example.com"),
    hours: z.number().int().min(1).max(72).default(4),
  }),
  steps: {
    validate: {
      name: "Validate request",
      run: async (ctx) => {
        await work(3000, ctx);
        ctx.updateContext({ engineer: ctx.input.engineer, hours: ctx.input.hours, onCallConfirmed: true });
      },
    },
    grant: {
      name: "Grant access",
      dependsOn: ["validate"],
      gate: {
        stage: "security sign-off",
        mode: "per_role",
        roles: ["approver", "admin"],
        instructions: "One **approver** and one **admin** confirm:\n\n- the engineer is on call this week\n- the requested hours match the incident ticket",
        expiresAfterMs: 24 * 3600_000,
      },
      run: async (ctx) => {
        await work(4000, ctx);
        ctx.updateContext({ grantedUntil: new Date(Date.now() + ctx.input.hours * 3600_000).toISOString() });
      },
    },
    notify: {
      name: "Notify",
      dependsOn: ["grant"],
      run: async (ctx) => {
        await work(2000, ctx);
        ctx.updateContext({ notified: true });
      },
    },
  },
});
