"use client";

import { useRouter } from "next/navigation";
import { startTransition, useCallback, useEffect, useRef, useState } from "react";
import { Button } from "@/components/ui/button";

/** How often the page asks /api/health while the database is down, in milliseconds. */
const RECHECK_MS = 5_000;

type Database = "checking" | "down" | "up";

/**
 * The error page of every route (the dashboard's layout signs the user in against the database,
 * so a lost database fails there first and lands here). In production Next hides a server
 * error's message from the browser, so the page asks /api/health whether the database is the
 * cause: if it is down, it says so, keeps checking every few seconds, and reloads the page by
 * itself once the database answers again; otherwise it is a plain "something went wrong" with
 * the error's reference for the logs.
 */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  const router = useRouter();
  const [database, setDatabase] = useState<Database>("checking");
  const wasDown = useRef(false);

  const retry = useCallback(() => {
    startTransition(() => {
      router.refresh();
      reset();
    });
  }, [router, reset]);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = async () => {
      let state: Database = "down";
      try {
        const response = await fetch("/api/health", { cache: "no-store" });
        state = response.ok ? "up" : "down";
      } catch {
        // The dashboard itself is unreachable too; treat it as the same outage and keep checking.
      }
      if (cancelled) return;
      setDatabase(state);
      if (state === "down") {
        wasDown.current = true;
        timer = setTimeout(check, RECHECK_MS);
      } else if (wasDown.current) {
        // The database is back: show the page the user asked for, without a click.
        retry();
      }
    };
    void check();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [retry]);

  if (database === "up") {
    return (
      <main className="mx-auto max-w-md p-10 text-center" role="alert">
        <h1 className="text-xl font-semibold">Something went wrong on our side</h1>
        <p className="mt-2 text-sm text-slate-600">It has been logged{error.digest ? ` (reference ${error.digest})` : ""}. Try again in a moment.</p>
        <Button className="mt-4" onClick={retry}>
          Try again
        </Button>
      </main>
    );
  }
  return (
    <main className="mx-auto max-w-md p-10 text-center" role="alert" aria-live="polite">
      <h1 className="text-xl font-semibold">{database === "checking" ? "This page could not be loaded" : "The database is unreachable"}</h1>
      <p className="mt-2 text-sm text-slate-600">
        {database === "checking"
          ? "Checking whether Flowgate can reach its database…"
          : "Flowgate cannot reach its PostgreSQL database right now, so this page cannot be shown. Changes sent now are refused, not lost. This page checks again every few seconds and reloads by itself when the database is back."}
      </p>
      <Button className="mt-4" variant="secondary" onClick={retry}>
        Retry now
      </Button>
    </main>
  );
}
