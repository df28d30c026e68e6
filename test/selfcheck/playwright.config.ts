import { defineConfig } from "@playwright/test";
import base from "../../playwright.config";

/** The real configuration (the e2e stack, Chromium), pointed at the failing fixture only. */
export default defineConfig({
  ...base,
  testDir: ".",
  testMatch: "fails-on-purpose.spec.ts",
  reporter: [["list"]],
  outputDir: "../../test-results/selfcheck",
  // Paths in the e2e stack's command are relative to the project root.
  webServer: base.webServer && !Array.isArray(base.webServer) ? { ...base.webServer, cwd: "../.." } : base.webServer,
});
