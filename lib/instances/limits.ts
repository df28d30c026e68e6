/** Shared by the zod schemas and the forms' live counters. */
export const REASON_MAX = 500;

/**
 * Counts by status stop here: a status with more instances is answered as COUNT_CAP + 1, shown
 * "10,000+". Counting every ended instance on each render cost 262 ms at a million (issue 15);
 * counting up to the cap reads at most COUNT_CAP + 1 index entries per status.
 */
export const COUNT_CAP = 10_000;

/** A count as shown: "10,000+" for one that reached the cap (see COUNT_CAP). */
export const formatCount = (n: number): string => (n > COUNT_CAP ? `${COUNT_CAP.toLocaleString("en")}+` : n.toLocaleString("en"));
