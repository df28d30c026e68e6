"use client";

import { useTheme } from "next-themes";
import { useEffect, useState } from "react";

const choices = [
  { value: "system", label: "System" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
] as const;

/**
 * System, Light or Dark, kept in this browser (next-themes stores it in localStorage). A native
 * select: one labelled control, keyboard and screen-reader ready, small enough for the header.
 */
export function ThemeToggle() {
  const { theme, setTheme } = useTheme();
  // The stored choice is known only in the browser: the server and the first client render show
  // "System", so hydration matches; the real choice appears right after.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <label className="flex items-center gap-1.5 text-slate-600">
      {/* Shown in the phone menu and on wide screens; at lg the header row needs the room (the label stays for screen readers). */}
      <span className="sr-only sm:not-sr-only lg:sr-only 2xl:not-sr-only">Theme</span>
      <select
        value={mounted ? (theme ?? "system") : "system"}
        onChange={(e) => setTheme(e.target.value)}
        className="h-8 rounded-md border border-slate-300 bg-white px-2 text-sm text-slate-800"
      >
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </label>
  );
}
