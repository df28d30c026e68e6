import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { insights } from "@/lib/audit/insights";
import { approveGate, rejectGate } from "@/lib/gates/decide-gate";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { freshDatabase } from "../support/db";
import { createDefinition, createGatedInstance, createInstance, createUser } from "../support/factories";

const t = await freshDatabase();
const who = { id: null, label: "ops@test.dev" };

it("counts pauses per workflow and day, paused time, gate waits and forced resumes", async () => {
  const def = await createDefinition(t.db, { key: "etl" });
  for (let i = 0; i < 3; i++) {
    const inst = await createInstance(t.db, { definitionId: def.id, workflowKey: "etl" });
    await pauseInstance(t.db, { instanceId: inst.id, reason: "load" }, who);
    await resumeInstance(t.db, { instanceId: inst.id, reason: "ok", force: i === 0 }, who);
  }
  const approver = await createUser(t.db, "approver");
  const a = await createGatedInstance(t.db, { stage: "staging" });
  const b = await createGatedInstance(t.db, { stage: "staging" });
  // Make the waits known: requested 10 and 30 minutes before the decision.
  await t.db.execute(sql`update gates set requested_at = now() - interval '10 minutes' where id = ${a.gate.id}`);
  await t.db.execute(sql`update gates set requested_at = now() - interval '30 minutes' where id = ${b.gate.id}`);
  await approveGate(t.db, { gateId: a.gate.id }, approver);
  await rejectGate(t.db, { gateId: b.gate.id, comment: "no" }, approver);

  const data = await insights(t.db, 14);
  const today = new Date().toISOString().slice(0, 10);
  expect(data.pausesPerDay).toContainEqual({ day: today, workflow: "etl", count: 3 });
  expect(data.pausedTime.find((r) => r.workflow === "etl")).toMatchObject({ pauses: 3 });
  const staging = data.gateWaits.find((g) => g.stage === "staging")!;
  expect(staging.decided).toBe(2);
  expect(staging.medianMinutes).toBeCloseTo(20, 0);
  expect(staging.p95Minutes).toBeGreaterThan(28);
  expect(data.outcomes).toContainEqual({ day: today, forcedResumes: 1, rejections: 1 });
});
