import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "@/lib/api/openapi";

// Issue 13 §2: the OpenAPI document lists every route under app/api/v1 with every method it
// exports, and nothing else. The routes are found on disk, so a new route.ts fails this test
// until lib/api/openapi.ts describes it.

const root = path.join(import.meta.dirname, "../../app/api/v1");
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(full);
    return entry.name === "route.ts" ? [full] : [];
  });
}

/** `app/api/v1/instances/[id]/pause/route.ts` → `/instances/{id}/pause`. */
function openApiPath(file: string): string {
  const segments = path.relative(root, path.dirname(file)).split(path.sep).filter(Boolean);
  return `/${segments.map((s) => s.replace(/^\[(.+)\]$/, "{$1}")).join("/")}`;
}

async function operationsOnDisk(): Promise<string[]> {
  const found: string[] = [];
  for (const file of routeFiles(root)) {
    const module: Record<string, unknown> = await import(file);
    for (const method of METHODS) if (typeof module[method] === "function") found.push(`${method} ${openApiPath(file)}`);
  }
  return found.sort();
}

function operationsInDocument(): string[] {
  const found: string[] = [];
  for (const [route, item] of Object.entries(openApiDocument().paths ?? {})) {
    for (const method of METHODS) if (item[method.toLowerCase() as Lowercase<(typeof METHODS)[number]>]) found.push(`${method} ${route}`);
  }
  return found.sort();
}

describe("the OpenAPI document covers app/api/v1", () => {
  it("lists every exported method of every route.ts, and no operation that has no route", async () => {
    const onDisk = await operationsOnDisk();
    const documented = operationsInDocument();
    expect(onDisk.length).toBeGreaterThan(25);
    expect({ missingFromDocument: onDisk.filter((op) => !documented.includes(op)), notARoute: documented.filter((op) => !onDisk.includes(op)) }).toEqual({ missingFromDocument: [], notARoute: [] });
  });

  it("names every path parameter its path has", () => {
    for (const [route, item] of Object.entries(openApiDocument().paths ?? {})) {
      const inPath = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const method of ["get", "post"] as const) {
        const operation = item[method];
        if (!operation) continue;
        const declared = (operation.parameters ?? []).flatMap((p) => ("in" in p && p.in === "path" ? [p.name] : [])).sort();
        expect(declared, `${method.toUpperCase()} ${route}`).toEqual(inPath);
      }
    }
  });
});
