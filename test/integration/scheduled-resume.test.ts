import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { history, instances } from "@/db/schema";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { registerResumeCondition } from "@/lib/instances/resume-conditions";
import { resumeInstance } from "@/lib/instances/resume-instance";
import { resumeDueInstances } from "@/engine/maintenance";
import { scheduleActor } from "@/lib/actors";
import { freshDatabase } from "../support/db";
import { actor, createDefinition, createInstance, createUser } from "../support/factories";

const t = await freshDatabase();
const operator = actor(await createUser(t.db, "operator"));

const instanceRow = async (id: string) => (await t.db.select().from(instances).where(eq(instances.id, id)))[0]!;
const resumesBySchedule = (id: string) =>
  t.db
    .select()
    .from(history)
    .where(and(eq(history.instanceId, id), inArray(history.action, ["resumed", "force_resumed"]), eq(history.actorLabel, scheduleActor.label)));

/**
 * Makes a scheduled pause that is already due: pauseInstance only accepts a future resume
 * time, so the time is moved into the past afterwards, as the clock would.
 */
async function duePause(definition: { id: string; key: string }, resumeAt: Date) {
  const inst = await createInstance(t.db, { definitionId: definition.id, workflowKey: definition.key });
  await pauseInstance(t.db, { instanceId: inst.id, reason: "Maintenance window", resumeAt: new Date(Date.now() + 3_600_000) }, operator);
  await t.db.update(instances).set({ resumeAt }).where(eq(instances.id, inst.id));
  return instanceRow(inst.id);
}

describe("a scheduled resume re-checks under the lock the pause it decided on", () => {
  it("does not lift a newer hold that an operator placed while the schedule was busy with another instance", async () => {
    const definition = await createDefinition(t.db);
    // The workflow's resume condition is slow (the took 4 s). While the worker checks
    // the first due instance, the operator force-resumes the other one and holds it again with
    // no resume time. Done inside the condition, so the interleaving is certain, not timed.
    let operatorActs: ((checking: string) => Promise<void>) | null = null;
    registerResumeCondition(definition.key, async ({ instance }) => {
      const act = operatorActs;
      operatorActs = null;
      if (act) await act(instance.id);
      return { ok: true };
    });
    const resumeAt = new Date(Date.now() - 1_000);
    const first = await duePause(definition, resumeAt);
    const second = await duePause(definition, resumeAt);
    let heldAgain = "";
    operatorActs = async (checking) => {
      heldAgain = checking === first.id ? second.id : first.id;
      await resumeInstance(t.db, { instanceId: heldAgain, force: true, reason: "Operator takes over" }, operator);
      await pauseInstance(t.db, { instanceId: heldAgain, reason: "Hold until further notice" }, operator);
    };

    const refused: string[] = [];
    const resumed = await resumeDueInstances(t.db, () => false, (id) => refused.push(id));

    expect(heldAgain).not.toBe("");
    const held = await instanceRow(heldAgain);
    expect(held).toMatchObject({ status: "paused", pauseReason: "Hold until further notice", resumeAt: null, pausedByLabel: operator.label });
    expect(await resumesBySchedule(heldAgain)).toEqual([]);
    // The one it was checking was due and still is: that resume goes ahead.
    const checked = heldAgain === first.id ? second.id : first.id;
    expect((await instanceRow(checked)).status).toBe("running");
    expect(await resumesBySchedule(checked)).toHaveLength(1);
    expect(resumed).toBe(1);
    // A skipped automatic action is not a refusal: nothing to report, nothing to retry later.
    expect(refused).toEqual([]);
  });

  it("the resume use case, given what was decided on, does nothing when the pause is another one", async () => {
    const definition = await createDefinition(t.db);
    const resumeAt = new Date(Date.now() - 1_000);
    const inst = await duePause(definition, resumeAt);
    const before = (await t.db.select().from(history).where(eq(history.instanceId, inst.id))).length;

    // Decided on a pause that started earlier than the one now in place.
    const stale = { pausedAt: new Date(inst.pausedAt!.getTime() - 5_000), resumeAt };
    expect(await resumeInstance(t.db, { instanceId: inst.id, reason: "Scheduled resume time reached" }, scheduleActor, { decidedOn: stale })).toBeNull();
    // The same pause, but its resume time moved since the read.
    const moved = { pausedAt: inst.pausedAt!, resumeAt: new Date(resumeAt.getTime() - 60_000) };
    expect(await resumeInstance(t.db, { instanceId: inst.id, reason: "Scheduled resume time reached" }, scheduleActor, { decidedOn: moved })).toBeNull();
    // The same pause and resume time, but that time has not come (a caller that decided too early).
    const future = new Date(Date.now() + 3_600_000);
    await t.db.update(instances).set({ resumeAt: future }).where(eq(instances.id, inst.id));
    expect(await resumeInstance(t.db, { instanceId: inst.id, reason: "Scheduled resume time reached" }, scheduleActor, { decidedOn: { pausedAt: inst.pausedAt!, resumeAt: future } })).toBeNull();
    // The resume time is gone (the instance is held with no schedule).
    await t.db.update(instances).set({ resumeAt: null }).where(eq(instances.id, inst.id));
    expect(await resumeInstance(t.db, { instanceId: inst.id, reason: "Scheduled resume time reached" }, scheduleActor, { decidedOn: { pausedAt: inst.pausedAt!, resumeAt } })).toBeNull();

    expect((await instanceRow(inst.id)).status).toBe("paused");
    expect((await t.db.select().from(history).where(eq(history.instanceId, inst.id))).length).toBe(before);

    // And when what it decided on still holds, it resumes as before.
    await t.db.update(instances).set({ resumeAt }).where(eq(instances.id, inst.id));
    const done = await resumeInstance(t.db, { instanceId: inst.id, reason: "Scheduled resume time reached" }, scheduleActor, { decidedOn: { pausedAt: inst.pausedAt!, resumeAt } });
    expect(done).toMatchObject({ id: inst.id, status: "running" });
    expect(await resumesBySchedule(inst.id)).toHaveLength(1);
  });

  it("a due instance that an operator resumed meanwhile is skipped quietly, not reported as refused", async () => {
    const definition = await createDefinition(t.db);
    let operatorActs: ((checking: string) => Promise<void>) | null = null;
    registerResumeCondition(definition.key, async ({ instance }) => {
      const act = operatorActs;
      operatorActs = null;
      if (act) await act(instance.id);
      return { ok: true };
    });
    const resumeAt = new Date(Date.now() - 1_000);
    const first = await duePause(definition, resumeAt);
    const second = await duePause(definition, resumeAt);
    let resumedByOperator = "";
    operatorActs = async (checking) => {
      resumedByOperator = checking === first.id ? second.id : first.id;
      await resumeInstance(t.db, { instanceId: resumedByOperator, force: true, reason: "Done early" }, operator);
    };
    const refused: string[] = [];
    expect(await resumeDueInstances(t.db, () => false, (id) => refused.push(id))).toBe(1);
    expect(await resumesBySchedule(resumedByOperator)).toEqual([]);
    // Nothing to report and no back-off: the pause it decided on simply no longer exists.
    expect(refused).toEqual([]);
  });
});
