"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { useLiveStatus } from "./live-status";

/**
 * Re-renders the server component every `everyMs` while the page is visible. With `fallback`, only
 * while the live stream is down, at the fallback pace (FLOWGATE_FALLBACK_POLL_MS): for a page whose
 * every change comes with an event, so LiveUpdates refreshes it when one does.
 */
export function AutoRefresh({ everyMs = 3000, fallback = false }: { everyMs?: number; fallback?: boolean }) {
  const router = useRouter();
  const { live, fallbackPollMs } = useLiveStatus();
  const pace = fallback ? (live ? null : fallbackPollMs) : everyMs;
  useEffect(() => {
    if (pace === null) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, pace);
    return () => clearInterval(timer);
  }, [router, pace]);
  return null;
}
