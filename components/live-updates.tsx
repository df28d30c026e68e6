"use client";

import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition } from "react";
import { parseProgress } from "@/lib/step-progress";
import { liveStatus, setLiveStatus, useLiveStatus } from "./live-status";
import { syncServerClock } from "./server-clock";

/** A `change` event's data (app/api/v1/stream/route.ts): the outbox event's type and instance. */
type Change = { type?: string; instanceId?: string | null };

/** React Query's key of one instance as its page reads it (app/(dashboard)/instances/[id]/instance-view.tsx). */
export const instanceQueryKey = (instanceId: string) => ["instance", instanceId] as const;

/**
 * `run` at once unless a run is in flight; then exactly once more when it ends (a change that came
 * meanwhile may not be in it). So a burst costs one refetch in flight, paced by the server.
 */
function coalesced(run: () => Promise<unknown>): () => Promise<void> {
  let running = false;
  let again = false;
  return async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await run().catch(() => {});
      } while (again);
    } finally {
      running = false;
    }
  };
}

/**
 * Listens to /api/v1/stream and, on each change, refreshes what the page shows at once: the lists
 * (React Query: `instances`, `instance-counts`), the open instance (React Query `["instance", id]`:
 * its page's status, controls, steps and gates), and the server-rendered page (router.refresh),
 * the latter only when the page's LiveScope says the change concerns it. A `progress` event (steps
 * started or finished, lib/step-progress.ts) refetches only the instances it names that this tab
 * shows: no list, no server render.
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
    // Active queries refetch now; inactive ones are only marked stale.
    const invalidate = coalesced(() => Promise.all([queryClient.invalidateQueries({ queryKey: ["instances"] }), queryClient.invalidateQueries({ queryKey: ["instance-counts"] })]));
    // One refetch in flight per key: a running instance's steps can move every few milliseconds.
    const perKey = new Map<string, () => Promise<void>>();
    const refetch = (queryKey: QueryKey) => {
      const key = JSON.stringify(queryKey);
      let run = perKey.get(key);
      if (!run) perKey.set(key, (run = coalesced(() => queryClient.invalidateQueries({ queryKey }))));
      void run();
    };
    /** The open instance `instanceId`, or every open instance (null): only a query this tab has is fetched. */
    const refetchInstance = (instanceId: string | null) => {
      if (instanceId === null) refetch(["instance"]);
      else if (queryClient.getQueryCache().find({ queryKey: instanceQueryKey(instanceId), exact: true })) refetch(instanceQueryKey(instanceId));
    };
    const onChange = (event: MessageEvent<string>) => {
      void invalidate();
      let change: Change = {};
      try {
        change = JSON.parse(event.data) as Change;
      } catch {
        // Unreadable: refresh rather than miss it.
      }
      refetchInstance(change.instanceId ?? null);
      const scope = liveStatus().refreshScope;
      if (scope === "none") return;
      if (scope !== "all" && change.instanceId && change.instanceId !== scope.instanceId) return;
      setServerDirty(true);
    };
    const onProgress = (event: MessageEvent<string>) => {
      const { instanceIds } = parseProgress(event.data);
      if (instanceIds === null) refetchInstance(null);
      else for (const id of instanceIds) refetchInstance(id);
    };
    source.addEventListener("ready", (event) => {
      setLiveStatus({ live: true });
      // An open instance and the lists on the page read themselves once more: what committed
      // between their server render and this connection sent no event here (they no longer poll
      // while the stream is up). A page with neither fetches nothing.
      refetchInstance(null);
      void invalidate();
      // Back after a drop: the server-rendered rest of the page too.
      if (connectedBefore) setServerDirty(true);
      connectedBefore = true;
      try {
        syncServerClock((JSON.parse((event as MessageEvent<string>).data) as { now?: number }).now ?? Number.NaN);
      } catch {
        // An older server sends no clock; the page's own measure stands.
      }
    });
    source.addEventListener("change", onChange);
    source.addEventListener("progress", onProgress);
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
