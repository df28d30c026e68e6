import { z } from "zod";

import { categorySchema, requiredReason, ticketUrlSchema } from "@/lib/instances/inputs";
import { optionalText, requiredText } from "@/lib/text";
import { COMMENT_MAX } from "./limits";

export { COMMENT_MAX };

const comment = { label: "Comment", max: COMMENT_MAX, multiline: true } as const;

export const approveInputSchema = z.object({
  gateId: z.string().max(100),
  comment: optionalText(comment),
  /** On a gate with options: the one chosen (its name). */
  option: z.string({ error: "Option must be an option's name" }).max(63, "No option has a name that long").optional(),
  /** The gate form's values, by field; checked against the gate's own form under its lock (lib/gates/form.ts). */
  values: z.record(z.string().max(63), z.unknown(), { error: "Values must be an object of the form's fields" }).optional(),
});

export const rejectInputSchema = z.object({
  gateId: z.string().max(100),
  comment: requiredText({ ...comment, required: "Say why you reject: the requester needs to know" }),
  category: categorySchema,
  ticketUrl: ticketUrlSchema,
});

export const delegateInputSchema = z.object({
  gateId: z.string().max(100),
  to: requiredText({ label: "Delegate", max: 200, required: "Name the approver by email" }).pipe(z.string().email("Name the approver by email")),
  reason: requiredReason("Say why you delegate"),
});

export type ApproveInput = z.input<typeof approveInputSchema>;
export type RejectInput = z.input<typeof rejectInputSchema>;
export type DelegateInput = z.input<typeof delegateInputSchema>;
