/** Shared by the bulk commands and the dialog that explains them. */
export const BULK_MAX = 500;
/** Resumes per second: a thousand instances waking at once would stampede whatever they call. */
export const BULK_RESUME_RATE = 20;
