/** "2026-11-24 08:00:00 UTC": the exact time shown on hover and written in exports. */
export const utc = (date: Date) => date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
