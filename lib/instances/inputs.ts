import { z } from "zod";
import { pauseModes, reasonCategories } from "@/db/schema";
import { isoDate, jsonProblem, optionalText, requiredText } from "@/lib/text";
import { REASON_MAX } from "./limits";

export { REASON_MAX };

const blank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** Optional everywhere a reason is asked for: a category and a link to the ticket that explains it. */
export const categorySchema = z.preprocess(blank, z.enum(reasonCategories, { error: `Choose one of: ${reasonCategories.join(", ")}` }).optional());
export const ticketUrlSchema = z.preprocess(
  blank,
  optionalText({ label: "Ticket link", max: 500, tooLong: "Keep the link to 500 characters" })
    .pipe(z.string().url("Give the ticket as a full link, like https://tracker.example.com/OPS-42")
    .refine((u) => /^https?:\/\//i.test(u), "Only http and https links")
    .optional()),
).meta({ description: "A link to the ticket that explains the reason: http or https, up to 500 characters", format: "uri", examples: ["https://tracker.example.com/OPS-42"] });
const MAX_SCHEDULE_MS = 366 * 24 * 3600_000;

// Any string is accepted here: a malformed id is answered like an unknown one (404), in lockInstance.
export const instanceIdSchema = z.string().max(100);

/** Reason texts: one rule (lib/text.ts) for what a reason may contain and how long it is. */
export const requiredReason = (required: string) => requiredText({ label: "Reason", max: REASON_MAX, required, multiline: true });
export const optionalReason = optionalText({ label: "Reason", max: REASON_MAX, multiline: true });
// Numbers from JSON, or digit strings from forms; not arrays, booleans or exponents that coerce to a number.
export const expectedVersionSchema = z.union([z.number(), z.string().regex(/^\d{1,15}$/, "Not a version number")]).transform(Number).pipe(z.number().int().positive()).optional();

export const pauseInputSchema = z.object({
  instanceId: instanceIdSchema,
  reason: requiredReason("Say why you are pausing"),
  mode: z.enum(pauseModes).default("graceful"),
  category: categorySchema,
  ticketUrl: ticketUrlSchema,
  resumeAt: isoDate({ label: "Resume time" })
    .refine((d) => d === undefined || d.getTime() > Date.now(), "The resume time must be in the future")
    .refine((d) => d === undefined || d.getTime() < Date.now() + MAX_SCHEDULE_MS, "Schedule the resume within a year"),
  expectedVersion: expectedVersionSchema,
});
export type PauseInput = z.input<typeof pauseInputSchema>;

/** Making a draining graceful pause immediate (escalatePause): why the running steps must stop now. */
export const escalatePauseInputSchema = z.object({
  instanceId: instanceIdSchema,
  reason: requiredReason("Say why the running steps must stop now"),
  category: categorySchema,
  ticketUrl: ticketUrlSchema,
  expectedVersion: expectedVersionSchema,
});
export type EscalatePauseInput = z.input<typeof escalatePauseInputSchema>;

export const resumeInputSchema = z
  .object({
    instanceId: instanceIdSchema,
    reason: optionalReason,
    force: z.boolean().default(false),
    category: categorySchema,
    ticketUrl: ticketUrlSchema,
    expectedVersion: expectedVersionSchema,
  })
  .superRefine((value, ctx) => {
    if (value.force && !value.reason) {
      ctx.addIssue({ code: "custom", path: ["reason"], message: "A forced resume needs a reason" });
    }
  });
export type ResumeInput = z.input<typeof resumeInputSchema>;


export const cancelInputSchema = z.object({
  instanceId: instanceIdSchema,
  reason: requiredReason("Say why you are cancelling"),
  expectedVersion: expectedVersionSchema,
});
export type CancelInput = z.input<typeof cancelInputSchema>;

export const startInputSchema = z.object({
  workflow: requiredText({ label: "Workflow", max: 100, required: "Choose a workflow", tooLong: "No workflow has a key that long" }),
  // Checked against the workflow's own zod schema once the workflow is known; first every
  // string in it must be storable (jsonb refuses U+0000 and unpaired surrogates) and it must not nest deeply.
  input: z
    .unknown()
    .superRefine((value, ctx) => {
      const problem = jsonProblem(value, "input");
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
});
export type StartInput = z.input<typeof startInputSchema>;

/** Retrying a failed instance from its failed step(s) (retryInstance): why, like a pause. */
export const retryInputSchema = z.object({
  instanceId: instanceIdSchema,
  reason: requiredReason("Say why you are retrying"),
  category: categorySchema,
  ticketUrl: ticketUrlSchema,
  expectedVersion: expectedVersionSchema,
});
export type RetryInput = z.input<typeof retryInputSchema>;
