"use client";

import { useSyncExternalStore } from "react";

/**
 * Whether this tab's live stream (/api/v1/stream, components/live-updates.tsx) is connected, and
 * how often lists poll when it is not. One store per tab: LiveUpdates writes it, lists read it
 * (useLiveStatus) to poll only as a fallback, so while the stream is up a change reaches a list by
 * its event alone and an idle list costs the server nothing.
 */
export type LiveStatus = {
  live: boolean;
  fallbackPollMs: number;
  /**
   * Which changes re-render the server-rendered page (router.refresh): `all`; `none` (the page's
   * data is all in React Query, which the stream invalidates anyway); or one instance's id (its
   * page: another instance's change shows nothing new there).
   */
  refreshScope: "all" | "none" | { instanceId: string };
};

/** Until the layout says otherwise (FLOWGATE_FALLBACK_POLL_MS); lists poll at this pace while the stream is down. */
export const DEFAULT_FALLBACK_POLL_MS = 10_000;

let status: LiveStatus = { live: false, fallbackPollMs: DEFAULT_FALLBACK_POLL_MS, refreshScope: "all" };
const listeners = new Set<() => void>();

/** Merges `patch` into the tab's live status and tells every reader. */
export function setLiveStatus(patch: Partial<LiveStatus>): void {
  const next = { ...status, ...patch };
  if (next.live === status.live && next.fallbackPollMs === status.fallbackPollMs && next.refreshScope === status.refreshScope) return;
  status = next;
  for (const listener of listeners) listener();
}

const subscribe = (listener: () => void) => {
  listeners.add(listener);
  return () => listeners.delete(listener);
};

/** The tab's live status now, outside React (LiveUpdates' event handler). */
export const liveStatus = (): LiveStatus => status;

/** The tab's live status; the server render sees it disconnected. */
export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(subscribe, () => status, () => status);
}

/** A react-query `refetchInterval`: none while the stream is live, the fallback pace while it is not. */
export function useFallbackPoll(): number | false {
  const { live, fallbackPollMs } = useLiveStatus();
  return live ? false : fallbackPollMs;
}
