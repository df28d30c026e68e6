import { z } from "zod";
import { pauseModes, reasonCategories } from "@/db/schema";
import { REASON_MAX } from "./limits";

export { REASON_MAX };

const trimmed = z.string().trim();
const blank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** Optional everywhere a reason is asked for: a category and a link to the ticket that explains it. */
export const categorySchema = z.preprocess(blank, z.enum(reasonCategories, { error: `Choose one of: ${reasonCategories.join(", ")}` }).optional());
export const ticketUrlSchema = z.preprocess(
  blank,
  z
    .string()
    .trim()
    .max(500, "Keep the link to 500 characters")
    .url("Give the ticket as a full link, like https://tracker.example.com/OPS-42")
    .refine((u) => /^https?:\/\//i.test(u), "Only http and https links")
    .optional(),
);
const MAX_SCHEDULE_MS = 366 * 24 * 3600_000;

// Any string is accepted here: a malformed id is answered like an unknown one (404), in lockInstance.
export const instanceIdSchema = z.string().max(100);

export const pauseInputSchema = z.object({
  instanceId: instanceIdSchema,
  reason: trimmed
    .min(1, "Say why you are pausing")
    .max(REASON_MAX, `Keep the reason to ${REASON_MAX} characters`),
  mode: z.enum(pauseModes).default("graceful"),
  category: categorySchema,
  ticketUrl: ticketUrlSchema,
  resumeAt: z.coerce
    .date({ error: "Give the resume time as a date and time" })
    .refine((d) => d.getTime() > Date.now(), "The resume time must be in the future")
    .refine((d) => d.getTime() < Date.now() + MAX_SCHEDULE_MS, "Schedule the resume within a year")
    .optional(),
  expectedVersion: z.coerce.number().int().positive().optional(),
});
export type PauseInput = z.input<typeof pauseInputSchema>;

export const resumeInputSchema = z
  .object({
    instanceId: instanceIdSchema,
    reason: trimmed
      .max(REASON_MAX, `Keep the reason to ${REASON_MAX} characters`)
      .transform((r) => r || undefined)
      .optional(),
    force: z.boolean().default(false),
    category: categorySchema,
    ticketUrl: ticketUrlSchema,
    expectedVersion: z.coerce.number().int().positive().optional(),
  })
  .superRefine((value, ctx) => {
    if (value.force && !value.reason) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: "A forced resume needs a reason" });
    }
  });
export type ResumeInput = z.input<typeof resumeInputSchema>;


export const cancelInputSchema = z.object({
  instanceId: instanceIdSchema,
  reason: trimmed
    .min(1, "Say why you are cancelling")
    .max(REASON_MAX, `Keep the reason to ${REASON_MAX} characters`),
  expectedVersion: z.coerce.number().int().positive().optional(),
});
export type CancelInput = z.input<typeof cancelInputSchema>;

export const startInputSchema = z.object({
  workflow: trimmed.min(1, "Choose a workflow").max(100, "No workflow has a key that long"),
  // Checked against the workflow's own zod schema once the workflow is known.
  input: z.unknown().optional(),
});
export type StartInput = z.input<typeof startInputSchema>;
