import { defineConfig, mergeConfig } from "vitest/config";
import base from "../../vitest.config";

/** The real configuration (global setup, embedded cluster), pointed at the failing fixture only. */
export default mergeConfig(base, defineConfig({ test: { include: ["test/selfcheck/*.check.ts"] } }));
