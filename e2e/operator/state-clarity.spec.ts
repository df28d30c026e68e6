import { and, eq } from "drizzle-orm";
import { history, instances, stepRuns } from "@/db/schema";
import { stepActor } from "@/lib/actors";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { createDefinition, createGatedInstance, createInstance } from "@/test/support/factories";
import { expect, signInAs, test } from "../support/fixtures";

const rowOf = (page: import("@playwright/test").Page, id: string) => page.getByRole("row").filter({ has: page.getByRole("link", { name: `Open instance ${id}` }) });

test("a waiting instance names its gate and who may approve it, in the list", async ({ page, db }) => {
  const { instance } = await createGatedInstance(db, { stage: "clarity gate e2e", approverRole: "approver" });
  await signInAs(page, "operator");
  await page.goto("/instances?status=waiting");
  const row = rowOf(page, instance.id);
  await expect(row).toContainText("clarity gate e2e");
  await expect(row).toContainText(/approver/);
});

test("a pause by a step says in words that the step asked, in the list and on the instance", async ({ page, db }) => {
  const inst = await createInstance(db);
  await pauseInstance(db, { instanceId: inst.id, reason: "Upstream quota reached", mode: "graceful" }, stepActor("extract"), { kind: "programmatic" });
  await signInAs(page, "operator");
  await page.goto("/instances?status=paused");
  await expect(rowOf(page, inst.id)).toContainText("the step extract asked to pause");
  await page.goto(`/instances/${inst.id}`);
  await expect(page.getByRole("status", { name: "Pause" })).toContainText("the step extract asked to pause");
});

test("a paused instance stopped before a gate shows the step it will go to, not a dash", async ({ page, db }) => {
  const def = await createDefinition(db, { steps: [
    { key: "a", name: "Step A", dependsOn: [] },
    { key: "b", name: "Step B", dependsOn: ["a"], gate: { stage: "later" } },
  ] });
  const inst = await createInstance(db, { definitionId: def.id, workflowKey: def.key, status: "paused" });
  // As the engine leaves it: step a done, and a paused instance reaches its gate only after resume, so nothing is current.
  await db.insert(stepRuns).values({ instanceId: inst.id, stepKey: "a", status: "completed", startedAt: new Date(), finishedAt: new Date() });
  await db.update(instances).set({ pausedAt: new Date(), pausedByLabel: "operator@flowgate.dev", pauseReason: "hold", pauseMode: "graceful", pauseKind: "manual", pausedFromStatus: "running" }).where(eq(instances.id, inst.id));
  await signInAs(page, "operator");
  await page.goto("/instances?status=paused");
  await expect(rowOf(page, inst.id)).toContainText("next: b");
});

test("a scheduled resume stays readable beside a long reason", async ({ page, db }) => {
  const inst = await createInstance(db);
  const reason = "Maintenance window for the primary database failover rehearsal, agreed with the storage team, including the replica rebuild and the index checks afterwards";
  await pauseInstance(db, { instanceId: inst.id, reason, mode: "graceful", resumeAt: new Date(Date.now() + 24 * 86_400_000) }, { id: null, label: "operator@flowgate.dev" });
  await signInAs(page, "operator");
  await page.goto("/instances?status=paused");
  await expect(rowOf(page, inst.id).getByText(/resumes in/)).toBeInViewport({ ratio: 1 });
});

test("a draining instance can be escalated to an immediate pause, recorded in its history", async ({ page, db }) => {
  const inst = await createInstance(db, { runningSteps: ["a"] });
  await pauseInstance(db, { instanceId: inst.id, reason: "Graceful first", mode: "graceful" }, { id: null, label: "operator@flowgate.dev" });
  await signInAs(page, "operator");
  await page.goto(`/instances/${inst.id}`);
  await expect(page.getByRole("status", { name: "Pause" })).toContainText("waiting for 1 running step");
  await page.getByRole("button", { name: "Pause immediately" }).click();
  const dialog = page.getByRole("dialog", { name: /Pause immediately/ });
  await dialog.getByRole("textbox", { name: "Reason" }).fill("Step is corrupting data, stop it now");
  await dialog.getByRole("button", { name: "Interrupt running steps" }).click();
  await expect(page.getByRole("status", { name: "Pause" })).toContainText("immediate");
  await expect(page.getByRole("button", { name: "Pause immediately" })).toHaveCount(0);

  const [row] = await db.select().from(instances).where(eq(instances.id, inst.id));
  expect(row).toMatchObject({ status: "paused", pauseMode: "immediate" });
  const runs = await db.select().from(stepRuns).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "a")));
  expect(runs.map((r) => r.status).sort()).toEqual(["interrupted", "pending"]);
  const rows = await db.select().from(history).where(eq(history.instanceId, inst.id)).orderBy(history.seq);
  expect(rows.at(-1)).toMatchObject({ action: "paused", fromStatus: "paused", toStatus: "paused", reason: "Step is corrupting data, stop it now", actorLabel: "operator@flowgate.dev" });
});
