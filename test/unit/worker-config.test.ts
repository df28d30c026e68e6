import { describe, expect, it } from "vitest";
import { workerConfig, workerPoolSize } from "@/engine/config";

const base = { NODE_ENV: "test", DATABASE_URL: "postgres://app@db.internal:5432/flowgate" } as const;
const env = (vars: Record<string, string>): NodeJS.ProcessEnv => ({ ...base, ...vars });

describe("the worker's pool size (README: Running across machines)", () => {
  it("follows the concurrency when FLOWGATE_DB_POOL is unset: 4 plus one per 4 steps, at most 20", () => {
    expect(workerConfig(env({})).poolSize).toBe(workerPoolSize(10));
    expect(workerPoolSize(10)).toBe(7);
    expect(workerConfig(env({ FLOWGATE_WORKER_CONCURRENCY: "100" })).poolSize).toBe(20);
  });

  it("takes FLOWGATE_DB_POOL as given, and refuses a pool too small to claim and listen", () => {
    expect(workerConfig(env({ FLOWGATE_DB_POOL: "3" })).poolSize).toBe(3);
    expect(workerConfig(env({ FLOWGATE_DB_POOL: "" })).poolSize).toBe(7);
    expect(() => workerConfig(env({ FLOWGATE_DB_POOL: "1" }))).toThrow(/FLOWGATE_DB_POOL/);
  });
});
