"use client";

import "@scalar/api-reference-react/style.css";
import dynamic from "next/dynamic";
import { z } from "zod";

// Scalar validates its configuration with zod, and zod probes once whether it may compile its
// parsers with `new Function`: under our CSP (no 'unsafe-eval') the probe is refused, harmlessly,
// but the browser still reports a CSP violation. Jitless zod never probes. zod is one copy in the
// bundle (npm dedupes Scalar's onto ours), so this setting reaches Scalar's parsers too.
z.config({ jitless: true });

// Scalar renders in the browser only (its Vue app touches `window` when it loads).
const ApiReferenceReact = dynamic(() => import("@scalar/api-reference-react").then((m) => m.ApiReferenceReact), {
  ssr: false,
  loading: () => <p className="p-6 text-sm text-slate-600">Loading the API reference…</p>,
});

/**
 * Scalar's reference, self-hosted from npm: no CDN script (the CSP allows only our own), no web
 * fonts (withDefaultFonts: false; `font-src` is 'self'), no telemetry and no AI agent (both call
 * Scalar's servers, which `connect-src 'self'` refuses and which have no business seeing our API).
 */
export function ApiReference({ document }: { document: Record<string, unknown> }) {
  return (
    <ApiReferenceReact
      configuration={{
        content: document,
        withDefaultFonts: false,
        telemetry: false,
        agent: { disabled: true },
        hideClientButton: false,
        persistAuth: false,
        metaData: { title: "Flowgate API reference" },
      }}
    />
  );
}
