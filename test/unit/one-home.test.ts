import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Issue 11, "one home for each rule": rules a layer linter cannot see, because they are about
// what a module writes rather than what it imports. Each test lists the offending lines, so a
// failure says where the rule was broken.
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    if (e.isDirectory()) return sources(file);
    return /\.(ts|tsx)$/.test(e.name) ? [file] : [];
  });

/** Lines of the project's own code (not tests) that match `pattern`, outside the rule's home. */
function offenders(pattern: RegExp, home: string): string[] {
  return ["app", "components", "lib", "engine", "db", "workflows", "scripts"]
    .flatMap(sources)
    .filter((file) => file !== home)
    .flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, i) => ({ where: `${file}:${i + 1}`, line: line.trim() }))
        .filter(({ line }) => pattern.test(line) && !line.startsWith("*") && !line.startsWith("//"))
        .map(({ where, line }) => `${where}: ${line}`),
    );
}

describe("one home for each rule", () => {
  it("the system actors (engine, system:clock, system:schedule, step:<key>) are defined only in lib/actors.ts", () => {
    // An actor written as a literal: `{ id: null, label: "…" }`, or a label string of a system actor.
    const literalActor = /\{\s*id:\s*null,\s*label:\s*["'`]|["'`]system:[a-z]|["'`]step:\$\{/;
    expect(offenders(literalActor, path.join("lib", "actors.ts"))).toEqual([]);
  });

  it("one UUID pattern (lib/domain.ts) decides what an id may look like", () => {
    expect(offenders(/\[0-9a-f\]\{8\}-/, path.join("lib", "domain.ts"))).toEqual([]);
  });

  it("only lib/events.ts writes the outbox (the engine's batch statement aside, which takes its rows from there)", () => {
    expect(offenders(/\.insert\(events\)/, path.join("lib", "events.ts"))).toEqual([]);
  });
});
