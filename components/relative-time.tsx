"use client";

import { useEffect, useState } from "react";
import { utc } from "@/lib/time";
import { serverNow } from "./server-clock";
import { exactTime, useTimeZone } from "./time-zone";

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
];
const format = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "short" });

export function relative(date: Date, now = serverNow()): string {
  const diff = date.getTime() - now;
  for (const [unit, ms] of units) {
    if (Math.abs(diff) >= ms || unit === "second") return format.format(Math.round(diff / ms), unit);
  }
  return "";
}


/**
 * "12 min ago", with the exact time on hover (UTC, or the browser's zone when the header's Times
 * setting says so) and the instant for machines via <time dateTime>.
 */
export function RelativeTime({ value }: { value: Date | string | null | undefined }) {
  const [now, setNow] = useState<number | null>(null);
  const zone = useTimeZone();
  useEffect(() => {
    setNow(serverNow());
    const timer = setInterval(() => setNow(serverNow()), 15_000);
    return () => clearInterval(timer);
  }, []);
  if (!value) return <span className="text-slate-500">—</span>;
  const date = new Date(value);
  // Until hydrated the UTC time is shown, so server and client render the same text.
  return (
    <time dateTime={date.toISOString()} title={exactTime(date, zone)} className="whitespace-nowrap">
      {now === null ? utc(date) : relative(date, now)}
    </time>
  );
}
