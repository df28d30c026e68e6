/**
 * db/row-mapper.ts rowWriter: a patch keyed by drizzle property names, written with postgres.js's
 * dynamic `sql(values)` (the pause and resume commands' update, lib/instances/update-row.ts),
 * stores exactly what drizzle's own `.set()` would: timestamps to the millisecond, nulls, enums,
 * text, and jsonb as a JSON value (not a JSON string).
 */
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { rowWriter } from "@/db/row-mapper";
import { instances } from "@/db/schema";
import { freshDatabase } from "../support/db";
import { createInstance } from "../support/factories";

const t = await freshDatabase();
const toColumns = rowWriter(instances);

it("writes every kind of column as drizzle's update would, and leaves out what is undefined", async () => {
  const viaWriter = await createInstance(t.db);
  const viaDrizzle = await createInstance(t.db);
  const at = new Date("2026-11-30T12:34:56.789Z");
  const patch = {
    status: "paused" as const,
    pausedFromStatus: "running" as const,
    pausedAt: at,
    pausedById: null,
    pausedByLabel: "ops <script>&",
    pauseReason: "Ünïcode, quotes ' \" and a newline\nkept",
    pauseMode: "graceful" as const,
    resumeAt: null,
    context: { nested: { n: 1, list: [true, null, "x"] } },
    updatedAt: at,
    pauseCategory: undefined,
  };
  const columns = toColumns(patch);
  expect(Object.keys(columns)).not.toContain("pause_category");
  await t.sql`update instances set ${t.sql(columns)} where id = ${viaWriter.id}`;
  const { pauseCategory: _skipped, ...defined } = patch;
  await t.db.update(instances).set(defined).where(eq(instances.id, viaDrizzle.id));

  const [a] = await t.db.select().from(instances).where(eq(instances.id, viaWriter.id));
  const [b] = await t.db.select().from(instances).where(eq(instances.id, viaDrizzle.id));
  const written = (row: typeof a) => Object.fromEntries(Object.keys(defined).map((k) => [k, row![k as keyof typeof row]]));
  expect(written(a)).toEqual(written(b));
  expect(written(a)).toEqual(defined);
  expect(a!.pausedAt?.toISOString()).toBe(at.toISOString());
  expect(a!.context).toEqual(patch.context);
  const [raw] = await t.sql<{ kind: string }[]>`select jsonb_typeof(context) as kind from instances where id = ${viaWriter.id}`;
  expect(raw!.kind).toBe("object");
});

it("refuses a key that is not a column of the table", () => {
  expect(() => toColumns({ notAColumn: 1 } as never)).toThrow(/not a column/);
});
