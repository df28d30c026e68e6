import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { instances, stepRuns } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { pipelinedTransaction } from "@/engine/prepared";
import { rowMapper } from "@/db/row-mapper";
import { freshDatabase } from "../support/db";
import { createInstance } from "../support/factories";

const t = await freshDatabase();
const actor = { id: null, label: "test" };

it("maps a plain postgres.js row exactly as drizzle's select does, every column", async () => {
  const inst = await createInstance(t.db, { runningSteps: ["a"] });
  // Fill the nullable columns too (timestamps, enums, text), so each column's mapping is exercised.
  await pauseInstance(t.db, { instanceId: inst.id, reason: "Maintenance window", mode: "graceful", category: "maintenance", ticketUrl: "https://tickets.example/OPS-1", resumeAt: new Date(Date.now() + 3_600_000) }, actor);
  const [viaDrizzle] = await t.db.select().from(instances).where(eq(instances.id, inst.id));
  const [raw] = await t.sql`select * from instances where id = ${inst.id}`;
  expect(rowMapper(instances)(raw!)).toEqual(viaDrizzle);

  const [runViaDrizzle] = await t.db.select().from(stepRuns).where(eq(stepRuns.instanceId, inst.id));
  const [rawRun] = await t.sql`select * from step_runs where instance_id = ${inst.id}`;
  expect(rowMapper(stepRuns)(rawRun!)).toEqual(runViaDrizzle);
});

async function marker(label: string): Promise<number> {
  const [row] = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from instances where started_by_label = ${label}`);
  return row!.n;
}

it("commits the first and last round trips as one transaction", async () => {
  const inst = await createInstance(t.db);
  const result = await pipelinedTransaction(t.sql, async ({ c, first, last }) => {
    const [[locked]] = await first([c<{ id: string }[]>`select id from instances where id = ${inst.id} for update`] as const);
    await last([c`update instances set started_by_label = 'pipelined-commit' where id = ${locked!.id}`] as const);
    return locked!.id;
  });
  expect(result).toBe(inst.id);
  expect(await marker("pipelined-commit")).toBe(1);
});

it("a failing statement in the last round trip rolls back everything, and the connection is clean afterwards", async () => {
  const inst = await createInstance(t.db);
  await expect(
    pipelinedTransaction(t.sql, async ({ c, first, last }) => {
      await first([c`update instances set started_by_label = 'pipelined-rollback' where id = ${inst.id}`] as const);
      await last([c`update instances set started_by_label = 'pipelined-rollback-2' where id = ${inst.id}`, c`select 1 / 0`] as const);
    }),
  ).rejects.toThrow(/division by zero/);
  expect(await marker("pipelined-rollback")).toBe(0);
  expect(await marker("pipelined-rollback-2")).toBe(0);
  // Every pooled connection still works and none is left inside a transaction.
  const states = await Promise.all(Array.from({ length: 12 }, () => t.sql`select current_setting('transaction_isolation') as iso, txid_current_if_assigned() as tx`));
  for (const [row] of states) expect(row!.tx).toBeNull();
});

it("a body that throws between the round trips rolls back what the first one wrote", async () => {
  const inst = await createInstance(t.db);
  await expect(
    pipelinedTransaction(t.sql, async ({ c, first }) => {
      await first([c`update instances set started_by_label = 'pipelined-throw' where id = ${inst.id}`] as const);
      throw new Error("the plan could not be made");
    }),
  ).rejects.toThrow("the plan could not be made");
  expect(await marker("pipelined-throw")).toBe(0);
});

it("sends BEGIN, the statements and COMMIT in order: the statements run inside the transaction", async () => {
  const ids = await pipelinedTransaction(t.sql, async ({ c, first, last }) => {
    const [[a]] = await first([c<{ tx: string }[]>`select txid_current() as tx`] as const);
    const [[b]] = await last([c<{ tx: string }[]>`select txid_current() as tx`] as const);
    return [a!.tx, b!.tx];
  });
  expect(ids[0]).toBe(ids[1]);
});
