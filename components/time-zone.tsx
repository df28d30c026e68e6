"use client";

import { useSyncExternalStore } from "react";
import { utc } from "@/lib/time";

/*
 * Which zone exact times are shown in: UTC (the default, what exports and the API always use) or
 * the browser's own. Kept in this browser's localStorage; read through useSyncExternalStore whose
 * server snapshot is "utc", so the server and the hydrating client render the same text and the
 * stored choice applies right after (no hydration mismatch), in every open tab at once.
 */

export type TimeZoneChoice = "utc" | "local";
const KEY = "flowgate-time-zone";
const listeners = new Set<() => void>();

function read(): TimeZoneChoice {
  try {
    return window.localStorage.getItem(KEY) === "local" ? "local" : "utc";
  } catch {
    return "utc"; // storage refused (private mode, policy): UTC, as the server renders
  }
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  // Another tab's choice arrives as a storage event.
  const onStorage = (e: StorageEvent) => e.key === KEY && listener();
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

/** The zone exact times are shown in; "utc" on the server and during hydration. */
export function useTimeZone(): TimeZoneChoice {
  return useSyncExternalStore(subscribe, read, () => "utc");
}

export function setTimeZone(choice: TimeZoneChoice) {
  try {
    window.localStorage.setItem(KEY, choice);
  } catch {
    // not persisted; still applied below for this page
  }
  for (const l of listeners) l();
}

/** "2026-11-24 09:00:00 GMT+1": the browser's zone, in the same shape as `utc()`. */
export function localExact(date: Date): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short" })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

/** The exact time in the chosen zone. */
export const exactTime = (date: Date, zone: TimeZoneChoice) => (zone === "local" ? localExact(date) : utc(date));

/** The header's choice: exact times in UTC or in this browser's zone. */
export function TimeZoneToggle() {
  const zone = useTimeZone();
  return (
    <label className="flex items-center gap-1.5 text-slate-600">
      <span className="sr-only sm:not-sr-only lg:sr-only 2xl:not-sr-only">Times</span>{/* exact times on hover: UTC or local */}
      <select
        value={zone}
        onChange={(e) => setTimeZone(e.target.value as TimeZoneChoice)}
        className="h-8 rounded-md border border-slate-300 bg-white px-2 text-sm text-slate-800"
      >
        <option value="utc">UTC</option>
        <option value="local">Local time</option>
      </select>
    </label>
  );
}
