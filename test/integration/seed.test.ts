import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { instances, users } from "@/db/schema";
import { seedDatabase } from "@/db/seed";
import { verifyChains } from "@/lib/audit/verify-chain";
import { inboxFor } from "@/lib/gates/queries";
import { workflowPauseOf, workflowPauseLog } from "@/lib/workflows/workflow-pauses";
import { countByStatus } from "@/lib/instances/queries";
import { freshDatabase } from "../support/db";
import { listWindows } from "@/lib/maintenance/windows";
import { windowActor } from "@/lib/actors";

const t = await freshDatabase();

it("the demo seed fills every state, gives the demo approver something to sign, and keeps a valid chain", async () => {
  await seedDatabase(t.db, { demo: true });
  const counts = await countByStatus(t.db);
  for (const status of ["running", "waiting", "paused", "completed", "failed", "cancelled"] as const) expect(counts[status]).toBeGreaterThan(0);

  const [approver] = await t.db.select().from(users).where(eq(users.email, "approver@flowgate.dev"));
  const started = await t.db.select().from(instances).where(eq(instances.startedById, approver!.id));
  expect(started).toEqual([]);
  const inbox = await inboxFor(t.db, { id: approver!.id, email: approver!.email, name: approver!.name, role: approver!.role, groups: approver!.groups });
  expect(inbox.map((i) => i.gate.mode).sort()).toEqual(["any", "any", "n_of_m", "per_role", "percent"]);
  // The firewall change's board needs 60 % of the release managers (approver, admin, dana: 2 of 3), and dana has approved.
  const board = inbox.find((i) => i.gate.stage === "change advisory board")!;
  expect(board).toMatchObject({ workflowName: "Firewall rule change", quorum: "2 of 3 approvers (60 %)", progress: "1 of 2 approvals (60 % of eligible approvers)" });
  expect(board.gate).toMatchObject({ mode: "percent", percent: 60, required: 2, groups: ["release-managers"] });
  // The hotfix rollout's go/no-go gate asks for a form and offers two paths.
  const hotfix = inbox.find((i) => i.gate.stage === "go / no-go")!;
  expect(hotfix.gate.options.map((o) => [o.name, o.next])).toEqual([["rollout", "rollout"], ["rollback", "rollback"]]);
  expect(hotfix.gate.form!.order).toEqual(["region", "batchSize", "notifyCustomers", "note"]);
  expect(hotfix.gate).toMatchObject({ onExpiry: "step", expiryStep: "rollback" });

  expect((await verifyChains(t.sql)).ok).toBe(true);
  // Seeding twice adds nothing.
  await seedDatabase(t.db, { demo: true });
  expect(await countByStatus(t.db)).toEqual(counts);
  // A demo workflow pause and resume, left released so the demo driver keeps starting it.
  expect((await workflowPauseLog(t.db)).filter((e) => e.workflowKey === "nightly-etl").map((e) => [e.workflowKey, e.action])).toEqual([["nightly-etl", "released"], ["nightly-etl", "held"]]);
  expect(await workflowPauseOf(t.db, "nightly-etl")).toBeUndefined();
  // A maintenance window under way pauses report-export, with a start queued behind it, and a nightly one is scheduled.
  const windows = await listWindows(t.db);
  // (The nightly one is active too when the seed runs between 02:00 and 02:45 UTC.)
  expect(windows.map((w) => w.title).sort()).toEqual(["Nightly replica backup", "Payments weekend freeze", "Reporting replica re-index"]);
  // The freeze holds only payments-gateway deploys (a window over a filter of instances), never the workflow.
  expect(windows.find((w) => w.title === "Payments weekend freeze")).toMatchObject({ state: "scheduled", workflowKeys: ["deploy-pipeline"], instanceFilter: { input: "service=payments-gateway" } });
  const reindex = windows.find((w) => w.title === "Reporting replica re-index")!;
  expect(reindex.state).toBe("active");
  expect((await workflowPauseOf(t.db, "report-export"))?.heldByLabel).toMatch(/^window:/);
  expect(windows.map((w) => windowActor(w.id).label)).toContain((await workflowPauseOf(t.db, "report-export"))?.heldByLabel);
  expect((await t.db.select().from(instances).where(eq(instances.workflowKey, "report-export"))).map((i) => i.status)).toEqual(["pending"]);
});
