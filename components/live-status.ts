"use client";

import { useSyncExternalStore } from "react";

/**
 * Whether this tab's live stream (/api/v1/stream, components/live-updates.tsx) is connected: one
 * value per tab, set by LiveUpdates, read by AutoRefresh so pages poll only while the stream is down.
 */
/**
 * While the live stream is connected, changes refresh the page as they commit (LiveUpdates), so
 * polling is only a slow safety net: once a minute. Issue 15: every open instance page re-rendered
 * every 3 s whether anything changed or not.
 */
export const LIVE_FALLBACK_MS = 60_000;

let live = false;
const listeners = new Set<() => void>();

/** Called by LiveUpdates when the stream opens (`ready`) or fails. */
export function setLiveStatus(next: boolean): void {
  if (next === live) return;
  live = next;
  for (const listener of listeners) listener();
}

/** True while the live stream is connected; re-renders the caller when that changes. */
export function useLiveStatus(): boolean {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => live,
    () => false,
  );
}
