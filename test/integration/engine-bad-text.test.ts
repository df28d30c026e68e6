/**
 * Text a step produces is not checked at the boundary like a person's (a step's error message or
 * pause reason), yet it reaches step_runs, the instance row and the hash-chained history. NUL
 * cannot be stored at all and half a surrogate pair is stored as U+FFFD while the hash covered
 * the original: either would break the settle or make the audit chain report its own row as
 * altered. Recorded text is made storable (lib/text.ts storableText, clipText) before hashing.
 */
import { and, eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { history, instances, stepRuns } from "@/db/schema";
import { verifyChains } from "@/lib/audit/verify-chain";
import { startInstance } from "@/lib/instances/start-instance";
import { codePointLength } from "@/lib/text";
import { freshDatabase } from "../support/db";
import { actor, createUser } from "../support/factories";
import { catalog } from "../support/test-catalog";
import { prepareEngineDatabase, spawnWorker, waitFor } from "../support/worker";

const t = await freshDatabase();
await prepareEngineDatabase(t.db);
const operator = actor(await createUser(t.db, "operator"));
const worker = await spawnWorker(t.url);

const storable = (text: string | null | undefined) => typeof text === "string" && !text.includes("\u0000") && !/\p{Cs}/u.test(text);
const until = (id: string, status: string) =>
  waitFor(`instance ${status}`, async () => {
    const [row] = await t.db.select().from(instances).where(eq(instances.id, id));
    return row?.status === status && row;
  });

it("a step failing with NUL and half a surrogate pair in its message fails the instance, and the chain still verifies", async () => {
  const inst = await startInstance(t.db, { workflow: "t-bad-text", input: { mode: "fail" } }, operator, { catalog });
  const failed = await until(inst.id, "failed");
  expect(storable(failed.error)).toBe(true);
  const [run] = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "ask")));
  expect(storable(run!.error)).toBe(true);
  expect(run!.error).toContain("bad \uFFFD byte, half a pair \uFFFD");
  expect(codePointLength(run!.error!)).toBe(2000);
  const [row] = await t.db.select().from(history).where(and(eq(history.instanceId, inst.id), eq(history.action, "failed")));
  expect(storable(row!.reason)).toBe(true);
  expect((await verifyChains(t.sql)).ok).toBe(true);
});

it("a step whose result holds NUL fails with a message that says so, instead of stalling its settle", async () => {
  const inst = await startInstance(t.db, { workflow: "t-bad-text", input: { mode: "output" } }, operator, { catalog });
  await until(inst.id, "failed");
  const [run] = await t.db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "ask")));
  expect(run!.error).toContain("not storable JSON");
  expect((await verifyChains(t.sql)).ok).toBe(true);
});

it("a step asking to pause with such a reason pauses the instance as the step, and the chain still verifies", async () => {
  const inst = await startInstance(t.db, { workflow: "t-bad-text", input: { mode: "pause" } }, operator, { catalog });
  const paused = await until(inst.id, "paused");
  expect(paused.pausedByLabel).toBe("step:ask");
  expect(storable(paused.pauseReason)).toBe(true);
  expect(paused.pauseReason).toContain("half a pair \uFFFD");
  expect((await verifyChains(t.sql)).ok).toBe(true);
  await worker.stop();
});
