"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { setLiveStatus } from "./live-status";
import { syncServerClock } from "./server-clock";

/**
 * Shortest time between two refreshes of one page, in ms. The first change after a quiet spell
 * refreshes at once; changes within the window are folded into one refresh at its end. So a
 * change shows within about REFRESH_WINDOW_MS plus a render, and a burst of changes costs a
 * page at most 1000 / REFRESH_WINDOW_MS renders a second.
 */
export const REFRESH_WINDOW_MS = 400;

/**
 * Listens to /api/v1/stream and, on each change, refreshes the lists (React Query) and the
 * server-rendered page (leading edge, then at most once per REFRESH_WINDOW_MS). While it is
 * connected, AutoRefresh polls only as a slow safety net (live-status.ts); when it drops, polling takes over. The stream's `ready` event carries the server's clock (server-clock.ts).
 */
export function LiveUpdates() {
  const queryClient = useQueryClient();
  const router = useRouter();
  const [live, setLive] = useState(false);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const last = useRef(0);

  useEffect(() => {
    const source = new EventSource("/api/v1/stream");
    const run = () => {
      pending.current = null;
      last.current = performance.now();
      void queryClient.invalidateQueries({ queryKey: ["instances"] });
      void queryClient.invalidateQueries({ queryKey: ["instance-counts"] });
      router.refresh();
    };
    const refresh = () => {
      if (pending.current) return;
      const wait = last.current + REFRESH_WINDOW_MS - performance.now();
      if (wait <= 0) run();
      else pending.current = setTimeout(run, wait);
    };
    source.addEventListener("ready", (event) => {
      setLive(true);
      setLiveStatus(true);
      try {
        syncServerClock((JSON.parse((event as MessageEvent<string>).data) as { now?: number }).now ?? Number.NaN);
      } catch {
        // An older server sends no clock; the page's own measure stands.
      }
    });
    source.addEventListener("change", refresh);
    source.onerror = () => {
      setLive(false);
      setLiveStatus(false);
    };
    return () => {
      source.close();
      setLiveStatus(false);
      if (pending.current) clearTimeout(pending.current);
    };
  }, [queryClient, router]);

  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-slate-600" title={live ? "Changes appear as they happen" : "Reconnecting; the page still refreshes every few seconds"}>
      <span aria-hidden className={live ? "size-2 rounded-full bg-emerald-500" : "size-2 rounded-full bg-slate-300"} />
      {live ? "Live" : "Polling"}
    </span>
  );
}
