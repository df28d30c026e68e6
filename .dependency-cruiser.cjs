/**
 * The layers of Flowgate, checked by `npm run lint` (dependency-cruiser). README.md
 * ("Architecture") explains them; this file is the rule, the README the why.
 *
 *   app ──► lib ──► db          engine ──► lib ──► db          components ──► lib
 *   workflows (user code) ──► lib/workflows/sdk.ts only
 *   cli (the flowgate CLI) ──► nothing outside cli/: it speaks HTTP
 *   entry points (scripts/, bench/, db/seed.ts, db/cli.ts, engine/main.ts) and tests may
 *   compose everything but app (tests may call app's routes).
 *
 * Type-only imports count (`tsPreCompilationDeps`): a type that crosses a layer is a dependency
 * on its home all the same. What may reach a browser bundle is checked separately, with runtime
 * imports only, by .dependency-cruiser-client.cjs. test/unit/layers-lint.test.ts runs both on
 * test/fixtures/layers, which breaks every rule once, so a rule that stops matching fails a test.
 */
const DB_CORE = "^db/(?!seed\\.ts$|cli\\.ts$)";
const ENTRY_POINTS = ["^scripts/", "^bench/", "^db/seed\\.ts$", "^db/cli\\.ts$", "^engine/main\\.ts$"];

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Modules that import each other cannot be understood, tested or moved one at a time.",
      from: {},
      to: { circular: true },
    },
    {
      name: "cli-talks-http",
      severity: "error",
      comment:
        "The flowgate CLI (cli/) is a client of the REST API, shipped as an npm bin and run on people's own " +
        "machines: it imports nothing of Flowgate outside cli/, so it needs no database, no server code and no " +
        "tsconfig paths, and every rule it relies on is the server's.",
      from: { path: "^cli/" },
      to: { path: "^(app|components|lib|db|engine|workflows|scripts|bench|test|e2e)/" },
    },
    {
      name: "nothing-imports-app",
      severity: "error",
      comment: "app/ is the top: pages, server actions and routes. Only tests (calling routes) and app itself import it.",
      from: { pathNot: ["^app/", "^test/", "^e2e/"] },
      to: { path: "^app/" },
    },
    {
      name: "lib-not-upwards",
      severity: "error",
      comment:
        "lib/ is the domain: use cases, the state machine, the instance lifecycle, the workflow SDK. " +
        "It depends on db/ only; the engine, the UI and the workflows depend on it, never the reverse.",
      from: { path: "^lib/" },
      to: { path: ["^engine/", "^app/", "^components/", "^workflows/", "^scripts/", "^bench/", "^test/", "^e2e/", "^db/seed\\.ts$", "^db/cli\\.ts$"] },
    },
    {
      name: "db-is-the-bottom",
      severity: "error",
      comment:
        "db/ (schema, client, migrations, embedded Postgres) imports nothing of Flowgate but lib/domain.ts " +
        "(the drizzle-free constants its enums are made of) and lib/env.ts (the validated environment the client reads). " +
        "db/seed.ts and db/cli.ts are entry points, not part of the layer.",
      from: { path: DB_CORE },
      to: { path: "^(app|components|lib|engine|workflows|scripts|bench|test|e2e)/", pathNot: ["^lib/domain\\.ts$", "^lib/env\\.ts$"] },
    },
    {
      name: "engine-not-upwards",
      severity: "error",
      comment:
        "The engine (the worker runtime) calls lib/ and db/. It loads the deployment's workflows only through " +
        "engine/load-catalog.ts, and never imports the UI.",
      from: { path: "^engine/", pathNot: "^engine/load-catalog\\.ts$" },
      to: { path: ["^app/", "^components/", "^workflows/", "^scripts/", "^bench/", "^test/", "^e2e/", "^db/seed\\.ts$", "^db/cli\\.ts$"] },
    },
    {
      name: "app-not-engine",
      severity: "error",
      comment:
        "The dashboard acts through lib/'s use cases and reads workflow code from workflows/; the worker " +
        "runtime is another process, so app/ never imports engine/.",
      from: { path: "^app/" },
      to: { path: ["^engine/", "^scripts/", "^bench/", "^test/", "^e2e/", "^db/seed\\.ts$", "^db/cli\\.ts$"] },
    },
    {
      name: "components-not-db",
      severity: "error",
      comment: "UI pieces never touch the database: they get data as props and domain constants from lib/domain.ts.",
      from: { path: "^components/" },
      to: { path: ["^db/", "^engine/", "^workflows/", "^app/"] },
    },
    {
      name: "components-no-drizzle",
      severity: "error",
      comment: "UI pieces never touch the database driver either.",
      from: { path: "^components/" },
      to: { dependencyTypes: ["npm", "npm-dev"], path: "node_modules/(drizzle-orm|postgres)/" },
    },
    {
      name: "workflows-use-the-sdk",
      severity: "error",
      comment:
        "workflows/ is user code, as a team writing its own workflows would: it imports the SDK " +
        "(lib/workflows/sdk.ts), its own helpers and npm packages, nothing else of Flowgate.",
      from: { path: "^workflows/" },
      to: { path: "^(app|components|lib|engine|db|scripts|bench|test|e2e)/", pathNot: "^lib/workflows/sdk\\.ts$" },
    },
    {
      name: "api-routes-take-db-from-apiRoute",
      severity: "error",
      comment:
        "A /api/v1 route gets its database from apiRoute's context (lib/api/respond.ts), as a server action " +
        "gets it from runAction: one place decides which pool a request uses.",
      from: { path: "^app/api/v1/" },
      to: { path: "^db/client\\.ts$" },
    },
    {
      name: "entry-points-not-app",
      severity: "error",
      comment: "Entry points compose the layers; none of them reaches into app/.",
      from: { path: ENTRY_POINTS },
      to: { path: "^app/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import the linter cannot resolve is an import it cannot check.",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["^\\.", "^node_modules/", "^test-results/", "^playwright-report/", "^next-env\\.d\\.ts$", "^test/fixtures/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
