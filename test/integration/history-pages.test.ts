import { expect, it } from "vitest";
import { historyQuery, listHistory } from "@/lib/audit/queries";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { freshDatabase } from "../support/db";
import { createInstance } from "../support/factories";

const t = await freshDatabase();

async function churn(label: string, n: number) {
  for (let i = 0; i < n; i++) {
    const inst = await createInstance(t.db);
    await pauseInstance(t.db, { instanceId: inst.id, reason: `${label} ${i}` }, { id: null, label });
    await resumeInstance(t.db, { instanceId: inst.id }, { id: null, label });
  }
}

it("pages never skip or repeat a row, even while new rows arrive between pages", async () => {
  await churn("Early@Ops.test", 12);
  const before = (await listHistory(t.db, historyQuery.parse({ limit: 100 }))).items.map((r) => r.id);
  const seen: number[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await listHistory(t.db, historyQuery.parse({ limit: 5, cursor: cursor ?? undefined }));
    seen.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
    await churn("late@ops.test", 1); // new rows land on top while someone is paging down
  } while (cursor);
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen).toEqual(before);
});

it("the actor filter is a case-insensitive prefix", async () => {
  const page = await listHistory(t.db, historyQuery.parse({ actor: "early@", action: "paused", limit: 100 }));
  expect(page.items).toHaveLength(12);
  expect((await listHistory(t.db, historyQuery.parse({ actor: "ops.test" }))).items).toHaveLength(0);
});

it("paging back with prevCursor returns exactly the page before, and the first page has no prevCursor", async () => {
  const first = await listHistory(t.db, historyQuery.parse({ limit: 5 }));
  expect(first.prevCursor).toBeNull();
  const second = await listHistory(t.db, historyQuery.parse({ limit: 5, cursor: first.nextCursor! }));
  const third = await listHistory(t.db, historyQuery.parse({ limit: 5, cursor: second.nextCursor! }));
  const backToSecond = await listHistory(t.db, historyQuery.parse({ limit: 5, before: third.prevCursor! }));
  expect(backToSecond.items.map((r) => r.id)).toEqual(second.items.map((r) => r.id));
  expect(backToSecond.nextCursor).toBe(second.nextCursor);
  const backToFirst = await listHistory(t.db, historyQuery.parse({ limit: 5, before: backToSecond.prevCursor! }));
  expect(backToFirst.items.map((r) => r.id)).toEqual(first.items.map((r) => r.id));
  expect(backToFirst.prevCursor).toBeNull();
});
