"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";

/**
 * Listens to /api/v1/stream and, on each change, refreshes the lists (React Query) and the
 * server-rendered page, at most once a second. Polling stays on as the fallback.
 */
export function LiveUpdates() {
  const queryClient = useQueryClient();
  const router = useRouter();
  const [live, setLive] = useState(false);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    const source = new EventSource("/api/v1/stream");
    const refresh = () => {
      if (pending.current) return;
      pending.current = setTimeout(() => {
        pending.current = null;
        void queryClient.invalidateQueries({ queryKey: ["instances"] });
        void queryClient.invalidateQueries({ queryKey: ["instance-counts"] });
        router.refresh();
      }, 1000);
    };
    source.addEventListener("ready", () => setLive(true));
    source.addEventListener("change", refresh);
    source.onerror = () => setLive(false);
    return () => {
      source.close();
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
