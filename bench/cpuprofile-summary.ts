/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. bench:api's API_SERVER_NODE_FLAGS):
 * self time by package and by function, and inclusive time by function, in milliseconds and as
 * a share of the sampled time. Idle and GC are listed as themselves.
 *
 *   npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top=25] [--per=<operations>]
 *
 * With `--per=N`, also milliseconds per operation (N operations ran while the profile was taken).
 * With `--after=S`, only samples from S seconds after the profile started (skips the server's
 * start and first requests, which load modules once); `--timeline` prints busy ms per 5 s.
 */
import { readFileSync } from "node:fs";

type Frame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type Node = { id: number; callFrame: Frame; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const [file, topArg] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
// Piped into `head`: stop quietly when the reader goes away.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
const perArg = process.argv.find((a) => a.startsWith("--per="));
const per = perArg ? Number(perArg.slice(6)) : 0;
const afterArg = process.argv.find((a) => a.startsWith("--after="));
const afterMs = afterArg ? Number(afterArg.slice(8)) * 1000 : 0;
const timeline = process.argv.includes("--timeline");
if (!file) throw new Error("usage: tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top] [--per=N]");
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Where a frame's code lives: an npm package, a Next.js server chunk, Node's own code, or V8. */
function packageOf(frame: Frame): string {
  const url = frame.url;
  if (!url) return `(${frame.functionName || "native"})`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) {
    // Next.js's compiled copies of other packages.
    const compiled = /next\/dist\/compiled\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return compiled ? `next/compiled/${compiled[1]}` : nm[1]!;
  }
  if (url.startsWith("node:")) return "node";
  if (url.includes("/.next/server/")) return `.next/server (${url.replace(/^.*\/\.next\/server\//, "")})`;
  return url.replace(/^file:\/\//, "");
}
const label = (f: Frame) => `${f.functionName || "(anonymous)"} ${packageOf(f)}:${f.lineNumber + 1}`;

const selfMs = new Map<number, number>();
let total = 0;
let clock = 0;
const buckets: number[] = [];
for (let i = 0; i < profile.samples.length; i++) {
  const ms = (profile.timeDeltas[i] ?? 0) / 1000;
  clock += ms;
  if (byId.get(profile.samples[i]!)!.callFrame.functionName !== "(idle)") buckets[Math.floor(clock / 5000)] = (buckets[Math.floor(clock / 5000)] ?? 0) + ms;
  if (clock < afterMs) continue;
  selfMs.set(profile.samples[i]!, (selfMs.get(profile.samples[i]!) ?? 0) + ms);
  total += ms;
}
const idle = [...selfMs].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((a, [, ms]) => a + ms, 0);
const busy = total - idle;

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const selfByFn = new Map<string, number>();
const selfByPkg = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, ms] of selfMs) {
  const frame = byId.get(id)!.callFrame;
  if (frame.functionName === "(idle)") continue;
  add(selfByFn, label(frame), ms);
  add(selfByPkg, packageOf(frame), ms);
  // Inclusive: every distinct function on the stack gets the sample once (recursion counted once).
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const l = label(byId.get(n)!.callFrame);
    if (!seen.has(l)) {
      seen.add(l);
      add(inclusive, l, ms);
    }
  }
}

if (timeline) console.log(`busy ms per 5 s: ${Array.from(buckets, (b, i) => `${i * 5}s:${(b ?? 0).toFixed(0)}`).join(" ")}`);
const fmt = (ms: number) => `${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / busy).toFixed(1).padStart(5)}%${per ? ` ${(ms / per).toFixed(3).padStart(7)} ms/op` : ""}`;
const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, ms] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${fmt(ms)}  ${k}`);
};
console.log(`sampled ${total.toFixed(0)} ms, busy ${busy.toFixed(0)} ms, idle ${idle.toFixed(0)} ms${per ? `, ${per} operations: ${(busy / per).toFixed(2)} ms busy per operation` : ""}`);
print("self time by package", selfByPkg);
print("self time by function", selfByFn);
print("inclusive time by function", inclusive);
