"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { Suspense, useEffect, useState } from "react";

/**
 * A thin bar at the top while a client navigation is pending: on a slow connection the App Router
 * keeps the old page until the new one's payload arrives, and without it nothing says a click
 * was taken. It starts when a same-origin link to another URL is followed and stops when the
 * pathname or query changes, the sign that the new page rendered. (Back and Forward are left out:
 * the router serves them from its cache, at once.)
 * No dependency: a document-level click listener and two hooks cover it, and nothing here needs
 * an inline script, so the nonce CSP of proxy.ts is untouched.
 */
export function NavigationProgress() {
  // useSearchParams needs a Suspense boundary, or it would opt the whole layout out of rendering on the server.
  return (
    <Suspense fallback={null}>
      <Bar />
    </Suspense>
  );
}

function Bar() {
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const [pending, setPending] = useState(false);
  const url = `${pathname}?${searchParams.toString()}`;

  // The new URL rendered: the navigation is over.
  useEffect(() => setPending(false), [url]);

  useEffect(() => {
    const onClick = (e: MouseEvent) => {
      // Only clicks the App Router itself handles: plain left clicks without modifiers (those open
      // a new tab or window), on same-origin links to another page, not downloads or new targets.
      // Listened to in the capture phase: next/link calls preventDefault on the clicks it takes over.
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = e.target instanceof Element ? e.target.closest("a[href]") : null;
      if (!(a instanceof HTMLAnchorElement) || (a.target && a.target !== "_self") || a.hasAttribute("download")) return;
      const to = new URL(a.href, window.location.href);
      if (to.origin !== window.location.origin) return;
      // Same path and query (a hash link, like the skip link): nothing to load.
      if (to.pathname === window.location.pathname && to.search === window.location.search) return;
      setPending(true);
    };
    document.addEventListener("click", onClick, true);
    return () => document.removeEventListener("click", onClick, true);
  }, []);

  // A navigation that never lands (a server error, an aborted request) must not leave the bar on.
  useEffect(() => {
    if (!pending) return;
    const t = setTimeout(() => setPending(false), 15_000);
    return () => clearTimeout(t);
  }, [pending]);

  if (!pending) return null;
  return (
    <div role="progressbar" aria-label="Loading page" aria-busy="true" className="fixed inset-x-0 top-0 z-[60] h-0.5 overflow-hidden bg-indigo-100">
      <div className="h-full w-1/3 animate-[nav-progress_1.2s_ease-in-out_infinite] bg-indigo-600 motion-reduce:w-full motion-reduce:animate-pulse" />
    </div>
  );
}
