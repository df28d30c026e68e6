/** The instance list's views; the status filter of the API accepts any status besides these. */
export const instanceViews = ["running", "paused", "waiting", "all"] as const;
export type InstanceView = (typeof instanceViews)[number];
