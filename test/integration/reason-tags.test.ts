import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { gateDecisions, history } from "@/db/schema";
import { listHistory, historyQuery } from "@/lib/audit/queries";
import { AppError } from "@/lib/errors";
import { rejectGate } from "@/lib/gates/decide-gate";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { freshDatabase } from "../support/db";
import { createGatedInstance, createInstance, createUser } from "../support/factories";

const t = await freshDatabase();
const who = { id: null, label: "ops@test.dev" };

describe("reason categories and ticket links", () => {
  it("are stored with a pause, shown on the instance, recorded in history, and cleared on resume", async () => {
    const inst = await createInstance(t.db);
    const paused = await pauseInstance(t.db, { instanceId: inst.id, reason: "DB failover", category: "incident", ticketUrl: "https://tracker.example.com/OPS-42" }, who);
    expect(paused).toMatchObject({ pauseCategory: "incident", pauseTicketUrl: "https://tracker.example.com/OPS-42" });
    const resumed = await resumeInstance(t.db, { instanceId: inst.id, reason: "override", force: true, category: "maintenance" }, who);
    expect(resumed).toMatchObject({ pauseCategory: null, pauseTicketUrl: null });
    const rows = await t.db.select().from(history).where(eq(history.instanceId, inst.id)).orderBy(history.seq);
    expect(rows[1]!.details).toMatchObject({ category: "incident", ticketUrl: "https://tracker.example.com/OPS-42" });
    expect(rows[2]!.details).toMatchObject({ category: "maintenance", forced: true });
    expect(rows[2]!.details).not.toHaveProperty("ticketUrl");
  });

  it.each([
    ["a category outside the list", { category: "vibes" }, "category"],
    ["a ticket that is not a link", { ticketUrl: "OPS-42" }, "ticketUrl"],
    ["a javascript: link", { ticketUrl: "javascript:alert(1)" }, "ticketUrl"],
  ])("refuses %s and writes nothing", async (_name, patch, field) => {
    const inst = await createInstance(t.db);
    const error = await pauseInstance(t.db, { instanceId: inst.id, reason: "x", ...patch }, who).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).fields?.[field]).toBeDefined();
    expect((await t.db.select().from(history).where(eq(history.instanceId, inst.id))).length).toBe(1);
  });

  it("are kept with a rejection, and history filters by category", async () => {
    const approver = await createUser(t.db, "approver");
    const { gate } = await createGatedInstance(t.db, { stage: "staging" });
    await rejectGate(t.db, { gateId: gate.id, comment: "too costly", category: "cost", ticketUrl: "https://tracker.example.com/FIN-7" }, approver);
    const [decision] = await t.db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id));
    expect(decision).toMatchObject({ category: "cost", ticketUrl: "https://tracker.example.com/FIN-7" });
    const page = await listHistory(t.db, historyQuery.parse({ category: "cost" }));
    expect(page.items.map((r) => [r.action, r.reason])).toEqual([["gate_rejected", "too costly"]]);
  });
});
