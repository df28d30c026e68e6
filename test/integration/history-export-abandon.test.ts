import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "@/db/client";
import { exportHistory } from "@/lib/audit/export";
import { historyQuery } from "@/lib/audit/queries";
import { appendHistory } from "@/lib/history";
import { freshDatabase } from "../support/db";
import { createInstance } from "../support/factories";
import { until } from "../support/webhook-receiver";

// Issue 15 (seen by bench:lists): an export a client walks away from after its first chunk kept its
// cursor open on the server: a backend busy with the export's query until someone read on. The
// export's own pool (one connection, tagged with an application_name) is watched from another
// connection in pg_stat_activity: its backend must go idle once the export is abandoned.

const t = await freshDatabase();
// More rows than one fetch of the cursor (1,000), so the first chunk leaves the cursor open.
for (let i = 0; i < 3; i++) {
  const instance = await createInstance(t.db, { status: "running" });
  await t.db.transaction(async (tx) => {
    for (let n = 0; n < 700; n++) await appendHistory(tx, { instanceId: instance.id, workflowKey: instance.workflowKey, action: "paused", actor: { id: null, label: "test" }, reason: `row ${n}` });
  });
}
const APP = "export-abandon-test";
const own = createDb(t.ownerUrl, { max: 1, connection: { application_name: APP } });
afterAll(() => own.sql.end({ timeout: 5 }));

const filter = historyQuery.parse({});

/** Whether the export's connection is still running its query (a suspended cursor reads as `active`). */
async function exportBusy(): Promise<boolean> {
  const rows = await t.sql`select state from pg_stat_activity where application_name = ${APP} and query ilike '%from "history"%' and state <> 'idle'`;
  return rows.length > 0;
}

async function readFirstChunk(stream: ReadableStream<Uint8Array>, format: "csv" | "ndjson") {
  const reader = stream.getReader();
  // (The CSV header first,) then the cursor's first fetch: the cursor is open now.
  if (format === "csv") await reader.read();
  const first = await reader.read();
  expect(first.done).toBe(false);
  expect(await exportBusy()).toBe(true);
  return reader;
}

describe("an abandoned history export closes its cursor", () => {
  it("when the request is aborted (the client went away)", async () => {
    const abort = new AbortController();
    const reader = await readFirstChunk(exportHistory(own.db, own.sql, filter, "csv", { signal: abort.signal }), "csv");
    abort.abort();
    await until("the export's backend is idle", async () => !(await exportBusy()));
    await expect(reader.read()).rejects.toThrow("The export was abandoned");
  });

  it("when its reader stops asking for more", async () => {
    await readFirstChunk(exportHistory(own.db, own.sql, filter, "ndjson", { idleMs: 50 }), "ndjson");
    // Nobody reads on and nobody cancels: the idle limit closes the cursor.
    await until("the export's backend is idle", async () => !(await exportBusy()));
  });
});
