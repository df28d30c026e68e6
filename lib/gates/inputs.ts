import { z } from "zod";

import { categorySchema, ticketUrlSchema } from "@/lib/instances/inputs";
import { COMMENT_MAX } from "./limits";

export { COMMENT_MAX };

const comment = z.string().trim().max(COMMENT_MAX, `Keep the comment to ${COMMENT_MAX} characters`);

export const approveInputSchema = z.object({
  gateId: z.string().max(100),
  comment: comment.transform((c) => c || undefined).optional(),
});

export const rejectInputSchema = z.object({
  gateId: z.string().max(100),
  comment: comment.min(1, "Say why you reject: the requester needs to know"),
  category: categorySchema,
  ticketUrl: ticketUrlSchema,
});

export const delegateInputSchema = z.object({
  gateId: z.string().max(100),
  to: z.string().trim().email("Name the approver by email").max(200),
  reason: z.string().trim().min(1, "Say why you delegate").max(500, "Keep the reason to 500 characters"),
});

export type ApproveInput = z.input<typeof approveInputSchema>;
export type RejectInput = z.input<typeof rejectInputSchema>;
export type DelegateInput = z.input<typeof delegateInputSchema>;
