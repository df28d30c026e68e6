import type { Metadata } from "next";
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
  return (
    <html lang="en">
      <body>
        <Providers serverNow={Date.now()}>{children}</Providers>
      </body>
    </html>
  );
}
