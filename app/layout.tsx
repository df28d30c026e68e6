import type { Metadata } from "next";
import { headers } from "next/headers";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";
import { Providers } from "./providers";

export const metadata: Metadata = {
  title: { default: "Flowgate", template: "%s · Flowgate" },
  description: "Pause, resume and sign off running workflows.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Render every page per request: Next puts the CSP nonce from proxy.ts on its scripts only
  // while rendering, so a page prerendered at build time would have scripts the CSP blocks.
  await connection();
  // next-themes sets the theme class with an inline script before the page paints (no flash of
  // light); the CSP runs inline scripts only with this request's nonce, which proxy.ts put in the
  // policy on the request, where Next reads it for its own scripts too.
  const csp = (await headers()).get("content-security-policy") ?? "";
  const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
  return (
    // suppressHydrationWarning: that script changes <html>'s class and style before React hydrates.
    <html lang="en" suppressHydrationWarning>
      <body>
        <Providers serverNow={Date.now()} nonce={nonce}>
          {children}
        </Providers>
      </body>
    </html>
  );
}
