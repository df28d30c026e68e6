/**
 * What may reach a browser bundle: from every `"use client"` module, following runtime imports
 * only (type-only imports are erased), nothing may lead to the database (db/, drizzle-orm,
 * postgres) or to a module marked `server-only`. Imports of `"use server"` modules are not
 * followed: Next replaces them with references to the server action, so their imports never
 * reach the client. Run by `npm run lint` after .dependency-cruiser.cjs (the layers).
 */
const fs = require("node:fs");
const path = require("node:path");

/** Files under `dirs` whose first statement is the given directive, as anchored path regexes. */
function withDirective(directive, dirs) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(ts|tsx)$/.test(entry.name)) {
        const head = fs.readFileSync(file, "utf8").replace(/^(\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/, "");
        if (head.startsWith(`"${directive}"`) || head.startsWith(`'${directive}'`)) found.push(file);
      }
    }
  };
  for (const dir of dirs) if (fs.existsSync(dir)) walk(dir);
  return found.map((f) => `^${f.split(path.sep).join("/").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

const clientModules = withDirective("use client", ["app", "components", "lib"]);
const serverActions = withDirective("use server", ["app", "lib"]);

module.exports = {
  forbidden: [
    {
      name: "client-never-reaches-the-database",
      severity: "error",
      comment:
        "A client component bundles everything it imports at runtime: the database driver, Drizzle's schema " +
        "or a server-only module there would ship to the browser (or fail the build). Import constants and " +
        "types from lib/domain.ts.",
      from: { path: clientModules.length ? clientModules : ["^$"] },
      to: { reachable: true, path: ["^db/", "node_modules/(drizzle-orm|postgres|pino|server-only)/", "^vendor/server-only/", "^engine/"] },
    },
  ],
  options: {
    doNotFollow: { path: ["node_modules", ...serverActions] },
    exclude: { path: ["^\\.next/", "^\\.data/", "^node_modules/"] },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"],
      mainFields: ["module", "main", "types", "typings"],
    },
  },
};
