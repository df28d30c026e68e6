import { z } from "zod";
import { pauseModes } from "@/db/schema";
import { categorySchema, optionalReason, requiredReason, ticketUrlSchema } from "@/lib/instances/inputs";
import { bulkFilterSchema } from "@/lib/instances/bulk-filter";

/** `POST /instances/bulk/pause` with a filter: every running or waiting instance it matches, one reason and mode. */
export const filterPauseSchema = z.object({
  filter: bulkFilterSchema,
  reason: requiredReason("Say why you are pausing"),
  mode: z.enum(pauseModes).default("graceful"),
  category: categorySchema,
  ticketUrl: ticketUrlSchema,
});

/** `POST /instances/bulk/resume` with a filter: every paused instance it matches; `force` skips resume conditions and needs a reason. */
export const filterResumeSchema = z
  .object({ filter: bulkFilterSchema, reason: optionalReason, force: z.boolean().default(false), category: categorySchema, ticketUrl: ticketUrlSchema })
  .superRefine((value, ctx) => {
    if (value.force && !value.reason) ctx.addIssue({ code: "custom", path: ["reason"], message: "A forced resume needs a reason" });
  });

/** Cancelling a running bulk operation: why. Instances already done stay as they are. */
export const cancelBulkSchema = z.object({ reason: requiredReason("Say why you are cancelling") });

/** Whether a bulk command's body asks by filter (rather than by `instanceIds`). */
export function asksByFilter(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && "filter" in raw;
}
