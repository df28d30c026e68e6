import { expect, it } from "vitest";
import { seedScale } from "@/bench/seed-scale";
import { verifyChains } from "@/lib/audit/verify-chain";
import { getInstanceDetail } from "@/lib/instances/queries";
import { freshDatabase } from "../support/db";

// bench:lists fills a million instances and ten million history rows in SQL (bench/seed-scale.ts).
// Its history must be a real hash chain, the one lib/history.ts writes and the verifier checks, or
// the benchmark would measure data the product could never hold.

it("the scale seed writes history whose hash chains the verifier accepts, with the status mix and pending gates it promises", async () => {
  const t = await freshDatabase();
  await seedScale(t.sql, { instances: 300, historyRows: 3_000, longHistory: 120 });
  const report = await verifyChains(t.sql);
  expect(report.breaks).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.chains).toBe(300);

  const [counts] = await t.sql<{ rows: number; long: number; waiting: number; gates: number; paused: number }[]>`
    select (select count(*)::int from history) as rows,
      (select count(*)::int from history where instance_id = md5('i0')::uuid) as long,
      (select count(*)::int from instances where status = 'waiting') as waiting,
      (select count(*)::int from gates where status = 'pending') as gates,
      (select count(*)::int from instances where status = 'paused') as paused`;
  expect(counts!.long).toBe(120);
  expect(counts!.rows).toBeGreaterThan(2_500);
  expect(counts!.waiting).toBeGreaterThan(0);
  expect(counts!.gates).toBe(counts!.waiting);
  expect(counts!.paused).toBeGreaterThan(0);

  // The newest row of a paused instance is its pause, with who and why: what its page shows.
  const [paused] = await t.sql<{ id: string }[]>`select id from instances where status = 'paused' limit 1`;
  const detail = await getInstanceDetail(t.db, paused!.id);
  expect(detail.lastChange).toMatchObject({ action: "paused", toStatus: "paused", reason: expect.stringMatching(/#/) });
});
