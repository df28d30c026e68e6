"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ThemeProvider } from "next-themes";
import { NuqsAdapter } from "nuqs/adapters/next/app";
import { useState, type ReactNode } from "react";
import { Toaster } from "sonner";
import { config as zodConfig } from "zod/v4/core";
import { syncServerClock } from "@/components/server-clock";

// zod compiles object parsers with `new Function` after probing whether eval is allowed; the probe
// alone is a CSP violation (script-src without 'unsafe-eval'), reported from any page whose client
// code parses with zod (list filters, forms). In the browser, parse without compiling.
if (typeof window !== "undefined") zodConfig({ jitless: true });

/**
 * `serverNow`: the server's clock when it rendered the page, ms since epoch (see components/server-clock.ts).
 * `nonce`: this response's CSP nonce, for next-themes' inline script (see app/layout.tsx).
 */
export function Providers({ children, serverNow, nonce }: { children: ReactNode; serverNow: number; nonce: string | undefined }) {
  // Once per page load, before any relative time is shown (children's effects run after this render).
  useState(() => (typeof window === "undefined" ? null : syncServerClock(serverNow)));
  // One client per browser session; a non-zero staleTime keeps server-rendered data from refetching at once.
  const [client] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 2_000, refetchOnWindowFocus: true } } }));
  return (
    // class strategy: Tailwind's `dark` variant and globals.css key off `.dark` on <html>; the
    // system setting is followed until the person picks Light or Dark (components/theme-toggle.tsx).
    <ThemeProvider attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange nonce={nonce}>
      <QueryClientProvider client={client}>
        <NuqsAdapter>{children}</NuqsAdapter>
        <Toaster richColors position="bottom-right" closeButton />
      </QueryClientProvider>
    </ThemeProvider>
  );
}
