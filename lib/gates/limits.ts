/** Shared by the zod schema and the forms' live counters. */
export const COMMENT_MAX = 1000;
