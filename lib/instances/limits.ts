/** Shared by the zod schemas and the forms' live counters. */
export const REASON_MAX = 500;
