import type { ErrorCode } from "@/lib/errors";

/** Shared by the bulk commands and the dialog that explains them. */
export const BULK_MAX = 500;
/** Resumes per second: a thousand instances waking at once would stampede whatever they call. */
export const BULK_RESUME_RATE = 20;

/** The headline of a resume refused by the workflow's resume condition; a forced resume skips it. */
export const RESUME_CONDITION_UNMET = "Resume condition not met";

/** One instance's answer in a bulk command; a refusal keeps its error's code, message and headline (ErrorDetail). */
export type BulkResult = { instanceId: string; ok: true } | { instanceId: string; ok: false; code: string; message: string; headline: string };
/** The refusals of a bulk command grouped by what they say (ErrorDetail's headline, else the message), in order of first appearance. */
export type BulkRefusal = { code: ErrorCode; headline: string; count: number };
export type BulkSummary = { succeeded: number; failed: number; results: BulkResult[]; refusals: BulkRefusal[] };
