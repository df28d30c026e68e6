/**
 * The `flowgate_progress` notification (lib/events.ts `channels.progress`): which instances' steps
 * started or finished. Steps write no outbox event (that would be a row per step on the engine's
 * hot path), so without it an open instance page would see step progress only by polling. The
 * worker sends at most one at a time, for everything its claims and settles committed meanwhile
 * (engine/progress-notifier.ts); the stream passes it on as an SSE `progress` event
 * (app/api/v1/stream/route.ts), and an open instance page refetches its instance
 * (components/live-updates.tsx). No server-only import: the browser parses it too.
 */
export type StepProgress = {
  /** The instances whose steps moved; null when there were more than MAX_PROGRESS_IDS (every open instance page refetches). */
  instanceIds: string[] | null;
};

/**
 * Most instance ids one notification names. A NOTIFY payload must stay under 8,000 bytes; 100 ids
 * of 36 characters (with quotes and commas, ~3,900 bytes) stay well within it.
 */
export const MAX_PROGRESS_IDS = 100;

/** The payload for `instanceIds` (deduplicated): the ids, or null past MAX_PROGRESS_IDS. */
export function progressPayload(instanceIds: Iterable<string>): string {
  const ids = [...new Set(instanceIds)];
  const body: StepProgress = { instanceIds: ids.length > MAX_PROGRESS_IDS ? null : ids };
  return JSON.stringify(body);
}

/** Reads a payload; anything unreadable counts as "many" (refetch rather than miss a change). */
export function parseProgress(payload: string): StepProgress {
  try {
    const body = JSON.parse(payload) as Partial<StepProgress>;
    if (Array.isArray(body.instanceIds) && body.instanceIds.every((id) => typeof id === "string")) return { instanceIds: body.instanceIds };
  } catch {
    // fall through
  }
  return { instanceIds: null };
}
