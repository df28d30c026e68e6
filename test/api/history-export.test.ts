import { describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { csvCell, exportColumns } from "@/lib/audit/export";
import { createApiToken } from "@/lib/auth/sessions";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { apiRequest, params } from "../support/api";
import { parseCsv } from "../support/csv";
import { freshDatabase } from "../support/db";
import { createInstance, createUser } from "../support/factories";

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
const { GET: exportRoute } = await import("@/app/api/v1/history/export/route");
const { GET: historyRoute } = await import("@/app/api/v1/history/route");
const auditor = await createUser(t.db, "auditor");
const token = await createApiToken(t.db, auditor.id, "test");

const tricky = 'Line one, "quoted"\nline two';
const formula = "=HYPERLINK(\"http://evil\")";
for (let i = 0; i < 30; i++) {
  const inst = await createInstance(t.db);
  const who = { id: null, label: i % 3 === 0 ? "alice@ops.test" : "bob@ops.test" };
  await pauseInstance(t.db, { instanceId: inst.id, reason: i === 0 ? tricky : i === 1 ? formula : `pause ${i}` }, who);
  if (i % 2 === 0) await resumeInstance(t.db, { instanceId: inst.id, reason: `resume ${i}` }, who);
}

async function listAll(query: string) {
  const out: { id: number; reason: string | null; actorLabel: string; action: string }[] = [];
  let cursor: string | null = "";
  while (cursor !== null) {
    const response = await historyRoute(apiRequest(`/api/v1/history?${query}&limit=7${cursor ? `&cursor=${cursor}` : ""}`, { token }), params({}));
    const page = (await response.json()) as { items: typeof out; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  }
  return out;
}

describe("history export", () => {
  it("CSV: a header in a stable order, then exactly the rows the filter lists, newest first", async () => {
    const query = "actor=alice%40ops.test&action=paused";
    const response = await exportRoute(apiRequest(`/api/v1/history/export?${query}&format=csv`, { token }), params({}));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    expect(response.headers.get("content-disposition")).toMatch(/attachment; filename="flowgate-history-.+\.csv"/);
    const rows = parseCsv(await response.text());
    expect(rows[0]).toEqual(exportColumns.map(([c]) => c));
    const listed = await listAll(query);
    expect(listed.length).toBe(10);
    expect(Number(response.headers.get("x-total-count"))).toBe(listed.length);
    const body = rows.slice(1);
    expect(body.map((r) => Number(r[0]))).toEqual(listed.map((r) => r.id));
    const reasonAt = exportColumns.findIndex(([c]) => c === "reason");
    expect(body.at(-1)![reasonAt]).toBe(tricky);
  });

  it("CSV defuses cells a spreadsheet would run as formulas", async () => {
    expect(csvCell(formula)).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell(null)).toBe("");
  });

  it("NDJSON: one JSON object per line, the same rows as the list", async () => {
    const response = await exportRoute(apiRequest("/api/v1/history/export?action=resumed&format=ndjson", { token }), params({}));
    const lines = (await response.text()).trim().split("\n").map((l) => JSON.parse(l) as { id: number; action: string; reason: string; createdAt: string; details: object });
    const listed = await listAll("action=resumed");
    expect(lines.map((l) => l.id)).toEqual(listed.map((r) => r.id));
    expect(lines.every((l) => l.action === "resumed" && typeof l.details === "object" && !Number.isNaN(Date.parse(l.createdAt)))).toBe(true);
  });

  it("refuses a bad format or filter with 400, and anonymous callers with 401", async () => {
    expect((await exportRoute(apiRequest("/api/v1/history/export?format=xlsx", { token }), params({}))).status).toBe(400);
    expect((await exportRoute(apiRequest("/api/v1/history/export?from=yesterday", { token }), params({}))).status).toBe(400);
    expect((await exportRoute(apiRequest("/api/v1/history/export"), params({}))).status).toBe(401);
  });
});
