"use client";

import { useEffect } from "react";
import { setLiveStatus, type LiveStatus } from "./live-status";

/**
 * Narrows which live changes re-render this server-rendered page (see LiveStatus.refreshScope):
 * `instanceId` for an instance's page, `none` for a page whose data React Query holds. Back to
 * `all` when the page goes. Renders nothing.
 */
export function LiveScope({ instanceId, none = false }: { instanceId?: string; none?: boolean }) {
  useEffect(() => {
    const scope: LiveStatus["refreshScope"] = none ? "none" : instanceId ? { instanceId } : "all";
    setLiveStatus({ refreshScope: scope });
    return () => setLiveStatus({ refreshScope: "all" });
  }, [instanceId, none]);
  return null;
}
