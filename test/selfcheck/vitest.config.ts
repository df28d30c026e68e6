import { defineConfig } from "vitest/config";
import base from "../../vitest.config";

/**
 * The real configuration (global setup, embedded cluster), pointed at the failing fixture only.
 * Spread, not mergeConfig: mergeConfig concatenates `include`, which ran the whole suite again.
 */
export default defineConfig({ ...base, test: { ...base.test, include: ["test/selfcheck/*.check.ts"] } });
