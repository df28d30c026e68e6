/** Shared by the zod schemas and the forms' live counters. */
export const REASON_MAX = 500;

/**
 * Counts by status stop here: a status with more instances is answered as COUNT_CAP + 1, shown
 * "10,000+". Counting every ended instance on each render cost 262 ms at a million (issue 15);
 * counting up to the cap reads at most COUNT_CAP + 1 index entries per status.
 */
export const COUNT_CAP = 10_000;

/**
 * The workflows page's counts per definition and status stop here (shown "1,000+"): a glance at
 * each workflow, where the list's tabs give the exact figures up to COUNT_CAP. A definition has up
 * to eight statuses and a page many definitions, so its cap is lower: at a million instances,
 * counting to 10,000 per pair cost 68 ms (p50, busy machine) for three workflows (issue 15).
 */
export const WORKFLOW_COUNT_CAP = 1_000;

/** A count as shown: "10,000+" for one past `cap` (default COUNT_CAP), the way the count functions return it (cap + 1). */
export const formatCount = (n: number, cap: number = COUNT_CAP): string => (n > cap ? `${cap.toLocaleString("en")}+` : n.toLocaleString("en"));
