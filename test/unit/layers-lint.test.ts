import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

// `npm run lint` must fail on a broken layer, or it checks nothing: a rule whose path no longer
// matches, or an import the resolver silently drops, would pass every tree. This runs both
// configs on test/fixtures/layers, which breaks each rule once, and expects every rule named.
const root = path.resolve(import.meta.dirname, "../..");
const fixture = path.join(root, "test/fixtures/layers");

type Cruise = { summary: { error: number; violations: { rule: { name: string }; from: string; to: string }[] } };

const depcruise = (config: string, outputType: "json" | "err") =>
  spawnSync(process.execPath, [path.join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"), "--config", path.join(root, config), "--output-type", outputType, "."], {
    cwd: fixture,
    encoding: "utf8",
  });

/** The violations (JSON report), and the exit status of the run as `npm run lint` makes it (the `err` report). */
function cruise(config: string): { status: number | null; result: Cruise } {
  return { status: depcruise(config, "err").status, result: JSON.parse(depcruise(config, "json").stdout) as Cruise };
}

const found = (c: Cruise) => c.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);

describe("the layer linter fails on a tree that breaks the layers", () => {
  it("names every layer rule, and exits non-zero", () => {
    const { status, result } = cruise(".dependency-cruiser.cjs");
    expect(status).not.toBe(0);
    expect(found(result)).toEqual(
      expect.arrayContaining([
        "lib-not-upwards: lib/use-case.ts → engine/worker.ts",
        "lib-not-upwards: lib/reaches-up.ts → app/form.tsx",
        "nothing-imports-app: lib/reaches-up.ts → app/form.tsx",
        "app-not-engine: app/page.ts → engine/worker.ts",
        "engine-not-upwards: engine/runner.ts → workflows/flow.ts",
        "db-is-the-bottom: db/client.ts → lib/use-case.ts",
        "components-not-db: components/badge.tsx → db/schema.ts",
        "workflows-use-the-sdk: workflows/flow.ts → lib/use-case.ts",
        "api-routes-take-db-from-apiRoute: app/api/v1/things/route.ts → db/client.ts",
        "cli-talks-http: cli/command.ts → lib/use-case.ts",
      ]),
    );
    expect(result.summary.violations.map((v) => v.rule.name)).toContain("no-circular");
  });

  it("follows a client component's imports to the database", () => {
    const { status, result } = cruise(".dependency-cruiser-client.cjs");
    expect(status).not.toBe(0);
    expect(found(result)).toContain("client-never-reaches-the-database: app/form.tsx → db/schema.ts");
  });
});
