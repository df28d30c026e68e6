"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition } from "react";
import { liveStatus, setLiveStatus, useLiveStatus } from "./live-status";
import { syncServerClock } from "./server-clock";

/** A `change` event's data (app/api/v1/stream/route.ts): the outbox event's type and instance. */
type Change = { type?: string; instanceId?: string | null };

/**
 * Listens to /api/v1/stream and, on each change, refreshes what the page shows at once: the lists
 * (React Query: `instances`, `instance-counts`) and the server-rendered page (router.refresh),
 * the latter only when the page's LiveScope says the change concerns it.
 *
 * No debounce window: each kind of refresh runs at once unless one is already in flight, and then
 * once more when it lands (a change that came meanwhile may not be in it). So a change shows after
 * one round trip and render, and a burst costs a page at most one refresh in flight, paced by the
 * server rather than by a timer. Lists poll only while the stream is down (useFallbackPoll), every
 * `fallbackPollMs` (FLOWGATE_FALLBACK_POLL_MS). The `ready` event carries the server's clock.
 */
export function LiveUpdates({ fallbackPollMs }: { fallbackPollMs: number }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const { live } = useLiveStatus();
  const [refreshing, startRefresh] = useTransition();
  const [serverDirty, setServerDirty] = useState(false);
  /** React Query's refresh: in flight, and whether a change came since it started. */
  const queries = useRef({ running: false, again: false });

  useEffect(() => setLiveStatus({ fallbackPollMs }), [fallbackPollMs]);

  // The server render: one in flight at a time, and one more after it if a change came meanwhile.
  useEffect(() => {
    if (!serverDirty || refreshing) return;
    setServerDirty(false);
    startRefresh(() => router.refresh());
  }, [serverDirty, refreshing, router]);

  useEffect(() => {
    const source = new EventSource("/api/v1/stream");
    let connectedBefore = false;
    const invalidate = async () => {
      const q = queries.current;
      if (q.running) {
        q.again = true;
        return;
      }
      q.running = true;
      do {
        q.again = false;
        // Active queries refetch now; inactive ones are only marked stale.
        await Promise.all([queryClient.invalidateQueries({ queryKey: ["instances"] }), queryClient.invalidateQueries({ queryKey: ["instance-counts"] })]).catch(() => {});
      } while (q.again);
      q.running = false;
    };
    const onChange = (event: MessageEvent<string>) => {
      void invalidate();
      const scope = liveStatus().refreshScope;
      if (scope === "none") return;
      if (scope !== "all") {
        let change: Change = {};
        try {
          change = JSON.parse(event.data) as Change;
        } catch {
          // Unreadable: refresh rather than miss it.
        }
        if (change.instanceId && change.instanceId !== scope.instanceId) return;
      }
      setServerDirty(true);
    };
    source.addEventListener("ready", (event) => {
      setLiveStatus({ live: true });
      // Back after a drop: what changed meanwhile sent no event here.
      if (connectedBefore) {
        void invalidate();
        setServerDirty(true);
      }
      connectedBefore = true;
      try {
        syncServerClock((JSON.parse((event as MessageEvent<string>).data) as { now?: number }).now ?? Number.NaN);
      } catch {
        // An older server sends no clock; the page's own measure stands.
      }
    });
    source.addEventListener("change", onChange);
    source.onerror = () => setLiveStatus({ live: false });
    return () => {
      source.close();
      setLiveStatus({ live: false });
    };
  }, [queryClient]);

  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-slate-600" title={live ? "Changes appear as they happen" : "Reconnecting; lists refresh every few seconds meanwhile"}>
      <span aria-hidden className={live ? "size-2 rounded-full bg-emerald-500" : "size-2 rounded-full bg-slate-300"} />
      {live ? "Live" : "Polling"}
    </span>
  );
}
