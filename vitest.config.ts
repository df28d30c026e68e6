import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": import.meta.dirname } },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    env: { LOG_LEVEL: "silent", NODE_ENV: "test" },
    // Engine tests spawn worker processes and wait for real steps; give them room.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
