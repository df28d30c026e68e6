import { eq, inArray } from "drizzle-orm";
import { expect, it } from "vitest";
import { events, instances, workflowDefinitions, workflowHoldLog, workflowHolds } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { startInstance } from "@/lib/instances/start-instance";
import { workflowPauseOf, workflowPausesOf, pauseWorkflow, resumeWorkflow } from "@/lib/workflows/workflow-pauses";
import { freshDatabase } from "../support/db";
import { catalog } from "../support/test-catalog";
import { prepareEngineDatabase } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = { id: null, label: "olga@test.dev" };
const start = () => startInstance(t.db, { workflow: "t-chain" }, operator, { catalog });
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as AppError);
const countOf = async () => (await t.db.select({ id: instances.id }).from(instances).where(eq(instances.workflowKey, "t-chain"))).length;

it("a held workflow starts no new instance, says who held it and why, and starts again once released", async () => {
  const running = await start();
  await pauseWorkflow(t.db, { workflow: "t-chain", reason: "Upstream API is down" }, operator);
  const before = await countOf();
  const refused = await refusal(start());
  expect(refused).toMatchObject({ code: "conflict", message: "t-chain is paused by olga@test.dev, so no new instance starts: Upstream API is down" });
  expect(await countOf()).toBe(before);
  // Instances already running are not touched.
  expect((await t.db.select().from(instances).where(eq(instances.id, running.id)))[0]!.status).toBe("running");

  await resumeWorkflow(t.db, { workflow: "t-chain", reason: "API back" }, operator);
  expect(await workflowPauseOf(t.db, "t-chain")).toBeUndefined();
  expect((await start()).status).toBe("running");
  const log = await t.db.select().from(workflowHoldLog).where(eq(workflowHoldLog.workflowKey, "t-chain")).orderBy(workflowHoldLog.id);
  expect(log.map((e) => [e.action, e.reason, e.actorLabel])).toEqual([
    ["held", "Upstream API is down", "olga@test.dev"],
    ["released", "API back", "olga@test.dev"],
  ]);
  // Each is announced through the outbox, like every other change.
  const announced = await t.db.select().from(events).where(inArray(events.type, ["workflow.paused", "workflow.resumed"])).orderBy(events.id);
  expect(announced.map((e) => [e.type, e.instanceId, e.payload])).toEqual([
    ["workflow.paused", null, { workflowKey: "t-chain", reason: "Upstream API is down", actor: operator }],
    ["workflow.resumed", null, { workflowKey: "t-chain", reason: "API back", actor: operator }],
  ]);
});

it("refuses a second hold, a release of what is not held, an unknown workflow and a blank reason, writing nothing", async () => {
  await pauseWorkflow(t.db, { workflow: "t-checkpoint", reason: "Freeze" }, operator);
  expect(await refusal(pauseWorkflow(t.db, { workflow: "t-checkpoint", reason: "Again" }, operator))).toMatchObject({ code: "conflict", message: "t-checkpoint is already paused by olga@test.dev: Freeze" });
  await resumeWorkflow(t.db, { workflow: "t-checkpoint" }, operator);
  expect(await refusal(resumeWorkflow(t.db, { workflow: "t-checkpoint" }, operator))).toMatchObject({ code: "conflict", message: "t-checkpoint is not paused" });
  expect(await refusal(pauseWorkflow(t.db, { workflow: "no-such-workflow", reason: "x" }, operator))).toMatchObject({ code: "not_found" });
  const blank = await refusal(pauseWorkflow(t.db, { workflow: "t-checkpoint", reason: "   " }, operator));
  expect(blank).toMatchObject({ code: "invalid", fields: { reason: ["Say why you are pausing the workflow"] } });
  expect((await t.db.select().from(workflowHoldLog).where(eq(workflowHoldLog.workflowKey, "t-checkpoint"))).map((e) => e.action)).toEqual(["held", "released"]);
});

it("the hold log is append-only", async () => {
  await pauseWorkflow(t.db, { workflow: "t-programmatic", reason: "For the record" }, operator);
  await expect(t.sql`update workflow_hold_log set reason = 'rewritten'`).rejects.toThrow(/workflow_hold_log is append-only: UPDATE refused/);
  await expect(t.sql`delete from workflow_hold_log`).rejects.toThrow(/append-only: DELETE refused/);
});

it("a start racing a hold that is still committing waits for it, then is refused", async () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let racing: Promise<AppError | null> | undefined;
  await t.db.transaction(async (tx) => {
    // What pauseWorkflow does, held open: the versions locked FOR UPDATE, the hold written, not yet committed.
    await tx.select().from(workflowDefinitions).where(eq(workflowDefinitions.key, "t-fanout")).for("update");
    await tx.insert(workflowHolds).values({ workflowKey: "t-fanout", reason: "Race", heldByLabel: "olga@test.dev" });
    racing = refusal(startInstance(t.db, { workflow: "t-fanout" }, operator, { catalog }));
    await sleep(300);
  });
  // Without the start's FOR SHARE lock it would have checked before the hold committed, and started.
  expect(await racing).toMatchObject({ code: "conflict", message: expect.stringContaining("t-fanout is paused by olga@test.dev") });
  expect((await t.db.select().from(instances).where(eq(instances.workflowKey, "t-fanout"))).length).toBe(0);
});

it("the workflows page gets each workflow's five newest log entries, however busy another one is", async () => {
  await pauseWorkflow(t.db, { workflow: "t-chain", reason: "quiet one" }, operator);
  await resumeWorkflow(t.db, { workflow: "t-chain" }, operator);
  for (let i = 0; i < 7; i++) {
    await pauseWorkflow(t.db, { workflow: "t-timeout", reason: `busy ${i}` }, operator);
    await resumeWorkflow(t.db, { workflow: "t-timeout" }, operator);
  }
  const { log, pauses } = await workflowPausesOf(t.db, ["t-timeout", "t-chain"]);
  expect(log.filter((e) => e.workflowKey === "t-timeout").map((e) => [e.action, e.reason])).toEqual([
    ["released", null],
    ["held", "busy 6"],
    ["released", null],
    ["held", "busy 5"],
    ["released", null],
  ]);
  expect(log.filter((e) => e.workflowKey === "t-chain").length).toBeGreaterThan(0);
  expect(pauses.size).toBe(0);
});
