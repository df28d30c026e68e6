"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { LIVE_FALLBACK_MS, useLiveStatus } from "./live-status";

/**
 * Re-renders the server component while the page is visible: every `everyMs` while the live
 * stream is down (the fallback), every LIVE_FALLBACK_MS while it is up.
 */
export function AutoRefresh({ everyMs = 3000 }: { everyMs?: number }) {
  const router = useRouter();
  const live = useLiveStatus();
  const period = live ? Math.max(everyMs, LIVE_FALLBACK_MS) : everyMs;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, period);
    return () => clearInterval(timer);
  }, [router, period]);
  return null;
}
