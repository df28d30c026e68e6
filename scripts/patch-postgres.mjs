/**
 * postinstall: patches postgres.js 3.4.x's write scheduler so a database that goes away cannot
 * crash the process or wedge a pooled connection (porsager/postgres#1154, #1208; fixed upstream
 * in no release yet). Idempotent; exits 1 if postgres.js changed shape, so an upgrade is noticed.
 *
 * The defect, in src/connection.js (and its cjs/ and cf/ copies): a small write is deferred with
 * setImmediate(nextWrite). When the socket closes first, `closed()` sets `socket = null` and
 * clears the timer without nulling it, so
 *   1. the deferred nextWrite, or one reached later, calls `null.write` and throws from a timer
 *      callback: an uncaught exception that kills the dashboard or the worker mid-outage;
 *   2. `nextWriteTimer` stays non-null and the stale `chunk` stays buffered, so after the
 *      reconnect no write is ever scheduled again and the connection's StartupMessage waits
 *      forever behind the dead bytes: every query on that connection hangs until connect_timeout.
 * The patch makes nextWrite settle (reject with CONNECTION_CLOSED) when there is no socket, and
 * has closed()/terminate() drop the timer and the buffered bytes.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const MARK = "/* flowgate: null-socket guard */";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "node_modules", "postgres");

/** Each edit: the exact text of postgres.js 3.4.9 and its replacement. */
const edits = [
  {
    name: "nextWrite settles without a socket",
    from: "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)",
    to: `  function nextWrite(fn) {\n    ${MARK}\n    if (!socket) {\n      chunk = nextWriteTimer = null\n      error(Errors.connection('CONNECTION_CLOSED', options))\n      return false\n    }\n    const x = socket.write(chunk, fn)`,
  },
  {
    name: "terminate() drops the deferred write",
    from: "    terminated = true\n    if (stream || query || initial || sent.length)\n      error(Errors.connection('CONNECTION_DESTROYED', options))\n\n    clearImmediate(nextWriteTimer)\n",
    to: "    terminated = true\n    if (stream || query || initial || sent.length)\n      error(Errors.connection('CONNECTION_DESTROYED', options))\n\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n",
  },
  {
    name: "closed() drops the deferred write",
    from: "    incomings = null\n    clearImmediate(nextWriteTimer)\n    socket.removeListener('data', data)",
    to: "    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    socket.removeListener('data', data)",
  },
];

let failed = false;
for (const variant of ["src", "cjs/src", "cf/src"]) {
  const file = path.join(root, variant, "connection.js");
  if (!existsSync(file)) continue;
  let text = readFileSync(file, "utf8");
  if (text.includes(MARK)) continue;
  const missing = edits.filter((edit) => !text.includes(edit.from));
  if (missing.length > 0) {
    for (const edit of missing) console.error(`patch-postgres: ${path.relative(process.cwd(), file)} has no "${edit.name}" site; postgres.js changed, review scripts/patch-postgres.mjs`);
    failed = true;
    continue;
  }
  for (const edit of edits) text = text.replace(edit.from, edit.to);
  writeFileSync(file, text);
}
if (failed) process.exit(1);
