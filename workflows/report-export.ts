import { z } from "zod";
import { work } from "./demo-time";
import { defineWorkflow } from "@/lib/workflows/sdk";

/**
 * The maintenance-window demo: it reads the reporting replica, which is re-indexed nightly, so a
 * nightly window pauses it. Starts asked for meanwhile are not lost: they queue (for at most six
 * hours) and run, in order, when the window ends.
 */
export const reportExport = defineWorkflow({
  key: "report-export",
  version: 1,
  name: "Report export",
  description: "Renders a report from the reporting replica and uploads it for the finance team.",
  input: z.object({ report: z.string().min(1).max(100).default("daily-revenue") }),
  whenPaused: { policy: "queue", queueTtlSeconds: 6 * 3600 },
  steps: {
    render: {
      name: "Render report",
      run: async (ctx) => {
        await work(6000, ctx);
        ctx.updateContext({ rows: 48_210 + Math.floor(Math.random() * 1000) });
      },
    },
    upload: {
      name: "Upload",
      dependsOn: ["render"],
      run: async (ctx) => {
        await work(3000, ctx);
        ctx.updateContext({ url: `https://files.example.com/reports/${ctx.input.report}.csv` });
      },
    },
  },
});
