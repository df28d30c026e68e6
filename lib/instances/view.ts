/**
 * The instance list's status views (its tabs): the live ones first, then the ended ones, then
 * all. The status filter of the API accepts `pending` as well.
 */
export const instanceViews = ["running", "paused", "waiting", "completed", "failed", "cancelled", "timed_out", "all"] as const;
export type InstanceView = (typeof instanceViews)[number];
