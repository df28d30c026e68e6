import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": import.meta.dirname } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // Receivers in tests listen on loopback, which the SSRF guard (lib/outbound.ts) refuses unless allowed.
    env: { LOG_LEVEL: "silent", NODE_ENV: "test", FLOWGATE_OUTBOUND_ALLOW: "127.0.0.1/32,::1/128" },
    // Engine tests spawn worker processes and wait for real steps; give them room.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
