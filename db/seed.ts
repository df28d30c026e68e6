import { eq, sql } from "drizzle-orm";
import { catalog } from "@/workflows/catalog";
import { registerDefinitions } from "@/lib/workflows/registry";
import { engineActor, startScheduleActor, stepActor } from "@/lib/actors";
import { hashPassword } from "@/lib/auth/password";
import { appendHistory } from "@/lib/history";
import { approveGate } from "@/lib/gates/decide-gate";
import { requestGate } from "@/lib/gates/request-gate";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { pauseWorkflow, resumeWorkflow } from "@/lib/workflows/workflow-pauses";
import { startDueWindows } from "@/lib/maintenance/run-windows";
import { createWindow } from "@/lib/maintenance/windows";
import { startInstance } from "@/lib/instances/start-instance";
import type { Db } from "./client";
import { DEMO_PASSWORD, demoUsers } from "./seed-users";
export { DEMO_PASSWORD, demoUsers };
import { instances, stepRuns, users, type Actor, type InstanceStatus, type WorkflowDefinition } from "./schema";

export async function seedDemoUsers(db: Db): Promise<Map<string, Actor>> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const u of demoUsers) {
    await db.insert(users).values({ ...u, passwordHash }).onConflictDoNothing({ target: users.email });
  }
  const rows = await db.select().from(users);
  return new Map(rows.map((u) => [u.email, { id: u.id, label: u.email }]));
}

type Fixture = {
  workflow: string;
  starter: Actor;
  status: InstanceStatus;
  done: string[];
  pending?: string[];
  current?: string[];
  input?: Record<string, unknown>;
  context?: Record<string, unknown>;
  minutesAgo: number;
  error?: string;
  /** For a failed instance: the step that failed, out of retries, and the error of each attempt. */
  failedStep?: { key: string; attempts: number; error: string };
};

/** Writes one demo instance as the engine would have left it: finished runs, queued runs, history. */
async function seedInstance(db: Db, defs: Map<string, WorkflowDefinition>, f: Fixture): Promise<string> {
  const def = defs.get(f.workflow)!;
  const started = new Date(Date.now() - f.minutesAgo * 60_000);
  return db.transaction(async (tx) => {
    const [inst] = await tx
      .insert(instances)
      .values({
        definitionId: def.id,
        workflowKey: def.key,
        status: f.status,
        currentSteps: f.current ?? f.pending ?? [],
        input: f.input ?? {},
        context: f.context ?? {},
        startedById: f.starter.id,
        startedByLabel: f.starter.label,
        error: f.error ?? null,
        createdAt: started,
        updatedAt: new Date(started.getTime() + f.done.length * 20_000),
        finishedAt: ["completed", "failed", "cancelled", "timed_out"].includes(f.status) ? new Date() : null,
      })
      .returning();
    let t = started.getTime();
    for (const key of f.done) {
      const startedAt = new Date(t);
      t += 8_000 + Math.floor(Math.random() * 12_000);
      await tx.insert(stepRuns).values({ instanceId: inst!.id, stepKey: key, status: "completed", startedAt, finishedAt: new Date(t), createdAt: startedAt, workerId: "seed" });
    }
    // Every attempt of the failed step, failed, as the engine records a step that ran out of retries.
    for (let attempt = 1; f.failedStep && attempt <= f.failedStep.attempts; attempt++) {
      const startedAt = new Date(t);
      t += 5_000;
      await tx.insert(stepRuns).values({ instanceId: inst!.id, stepKey: f.failedStep.key, attempt, status: "failed", error: f.failedStep.error, startedAt, finishedAt: new Date(t), createdAt: startedAt, workerId: "seed" });
    }
    for (const key of f.pending ?? []) {
      await tx.insert(stepRuns).values({ instanceId: inst!.id, stepKey: key, status: "pending", createdAt: new Date(t) });
    }
    await appendHistory(tx, { instanceId: inst!.id, workflowKey: def.key, action: "started", actor: f.starter, fromStatus: "pending", toStatus: "running" });
    if (f.status === "waiting") {
      await appendHistory(tx, { instanceId: inst!.id, workflowKey: def.key, action: "waiting", actor: engineActor, fromStatus: "running", toStatus: "waiting", details: { steps: f.current } });
    }
    const ending = { completed: "completed", failed: "failed", cancelled: "cancelled", timed_out: "timed_out" } as const;
    if (f.status in ending) {
      await appendHistory(tx, { instanceId: inst!.id, workflowKey: def.key, action: ending[f.status as keyof typeof ending], actor: f.status === "cancelled" ? f.starter : engineActor, reason: f.error ?? null, fromStatus: "running", toStatus: f.status, details: f.failedStep ? { step: f.failedStep.key } : {} });
    }
    return inst!.id;
  });
}

/** Registers the catalog and, in demo mode on an empty database, fills the dashboard with instances in every state. */
export async function seedDatabase(db: Db, options: { demo: boolean; onProgress?: (message: string) => void }): Promise<void> {
  const progress = options.onProgress ?? (() => {});
  const defs = new Map((await registerDefinitions(db, catalog)).map((d) => [d.key, d]));
  progress(`registered ${defs.size} workflow definitions`);
  if (!options.demo) return;
  const actors = await seedDemoUsers(db);
  progress(`demo users ready (${actors.size})`);
  const [{ count }] = (await db.select({ count: sql<number>`count(*)::int` }).from(instances)) as [{ count: number }];
  if (count > 0) return;

  const operator = actors.get("operator@flowgate.dev")!;
  const admin = actors.get("admin@flowgate.dev")!;
  const schedule = startScheduleActor("nightly");
  const svc = (service: string) => ({ service, ref: "main" });
  const fixtures: Fixture[] = [
    { workflow: "deploy-pipeline", starter: operator, status: "running", done: ["build"], pending: ["test"], input: svc("checkout-api"), context: { artifact: "checkout-api:main-4f2a9c1" }, minutesAgo: 4 },
    { workflow: "deploy-pipeline", starter: admin, status: "running", done: [], pending: ["build"], input: svc("search-indexer"), minutesAgo: 1 },
    { workflow: "deploy-pipeline", starter: operator, status: "waiting", done: ["build", "test", "deploy-staging"], current: ["deploy-production"], input: svc("billing-service"), context: { artifact: "billing-service:main-9ab31e0", testsPassed: 412, stagingUrl: "https://staging.example.com/billing-service" }, minutesAgo: 38 },
    { workflow: "deploy-pipeline", starter: admin, status: "waiting", done: ["build", "test", "deploy-staging", "deploy-production"], current: ["verify"], input: svc("payments-gateway"), context: { artifact: "payments-gateway:main-07cd5b2", testsPassed: 398 }, minutesAgo: 95 },
    { workflow: "deploy-pipeline", starter: operator, status: "completed", done: ["build", "test", "deploy-staging", "deploy-production", "verify"], input: svc("notifications"), context: { verified: true }, minutesAgo: 300 },
    { workflow: "deploy-pipeline", starter: operator, status: "cancelled", done: ["build"], input: svc("legacy-reports"), minutesAgo: 600, error: "Superseded by a newer build" },
    { workflow: "nightly-etl", starter: schedule, status: "running", done: ["extract"], pending: ["transform-orders", "transform-customers", "transform-inventory"], context: { rowsExtracted: 1_262_114 }, minutesAgo: 6 },
    { workflow: "nightly-etl", starter: schedule, status: "running", done: ["extract"], pending: ["transform-orders", "transform-customers", "transform-inventory"], context: { rowsExtracted: 1_249_870 }, minutesAgo: 12 },
    { workflow: "nightly-etl", starter: schedule, status: "failed", done: ["extract", "transform-orders"], context: { rowsExtracted: 1_190_004 }, minutesAgo: 1440, error: "transform-customers: upstream feed returned HTTP 503 three times", failedStep: { key: "transform-customers", attempts: 3, error: "upstream feed returned HTTP 503" } },
    { workflow: "database-migration", starter: operator, status: "running", done: ["generate"], pending: ["apply"], input: { database: "orders" }, context: { migration: "0042_orders_add_index.sql", statements: 3 }, minutesAgo: 20 },
    { workflow: "database-migration", starter: admin, status: "completed", done: ["generate", "apply"], input: { database: "inventory" }, minutesAgo: 2000 },
    { workflow: "access-request", starter: operator, status: "waiting", done: ["validate"], current: ["grant"], input: { engineer: "sam@example.com", hours: 4 }, context: { engineer: "sam@example.com", hours: 4, onCallConfirmed: true }, minutesAgo: 25 },
    // A gate with a form and two paths (roll out or roll back), waiting for the demo approver.
    { workflow: "hotfix-rollout", starter: operator, status: "waiting", done: ["canary"], current: ["decide"], input: { service: "checkout-api", fix: "Null check in tax rounding" }, context: { canaryErrorRate: 0.2, canaryHosts: 2 }, minutesAgo: 9 },
    // A percent quorum: 60 % of the release managers who may decide (2 of 3), one approval in.
    { workflow: "firewall-change", starter: operator, status: "waiting", done: ["plan"], current: ["apply"], input: { rule: "allow tcp/5432 from 10.20.0.0/16 to db-primary", ticket: "CHG-1042" }, context: { rule: "allow tcp/5432 from 10.20.0.0/16 to db-primary", ticket: "CHG-1042", affectedHosts: 14 }, minutesAgo: 17 },
  ];
  const ids: string[] = [];
  for (const f of fixtures) ids.push(await seedInstance(db, defs, f));
  progress(`seeded ${fixtures.length} demo instances`);

  // Waiting instances get their gates, so the approvals inbox is never empty on a first start.
  for (const [i, f] of fixtures.entries()) {
    if (f.status !== "waiting") continue;
    const step = defs.get(f.workflow)!.steps.find((s) => s.key === f.current?.[0]);
    if (!step?.gate) continue;
    const gate = await db.transaction(async (tx) => {
      const [inst] = await tx.select().from(instances).where(eq(instances.id, ids[i]!)).for("update");
      return requestGate(tx, inst!, { ...step, gate: step.gate! });
    });
    if (gate && (gate.mode === "n_of_m" || gate.mode === "percent")) {
      const dana = demoUsers.find((u) => u.email === "dana@flowgate.dev")!;
      await approveGate(db, { gateId: gate.id, comment: gate.mode === "percent" ? "Matches the network policy; rollback plan is in the ticket" : "Dashboards green after 30 minutes" }, { id: actors.get(dana.email)!.id!, email: dana.email, name: dana.name, role: dana.role, groups: dana.groups });
    }
  }
  progress("requested demo approval gates");

  // Paused ones go through the real use case, so their history is exactly what a person's pause writes.
  const etlRunning = ids[7]!;
  await pauseInstance(db, { instanceId: etlRunning, reason: "High system load detected", mode: "graceful" }, stepActor("extract"), { kind: "programmatic" });
  const migration = ids[9]!;
  await pauseInstance(db, { instanceId: migration, reason: "Review point before step apply: read the generated SQL, then resume", mode: "graceful" }, engineActor, { kind: "checkpoint" });
  const tomorrow8 = new Date();
  tomorrow8.setUTCDate(tomorrow8.getUTCDate() + 1);
  tomorrow8.setUTCHours(8, 0, 0, 0);
  const deploy = await seedInstance(db, defs, { workflow: "deploy-pipeline", starter: admin, status: "running", done: ["build", "test"], pending: ["deploy-staging"], input: svc("inventory-sync"), context: { testsPassed: 377 }, minutesAgo: 50 });
  await pauseInstance(db, { instanceId: deploy, reason: "Maintenance window: staging database failover test until 08:00 UTC", mode: "graceful", resumeAt: tomorrow8 }, operator);
  progress("paused 3 demo instances");

  // A workflow that was paused for a while and resumed, so the workflow pause log shows what one looks like.
  await pauseWorkflow(db, { workflow: "nightly-etl", reason: "Warehouse upgrade: no new loads until it is done" }, operator);
  await resumeWorkflow(db, { workflow: "nightly-etl", reason: "Upgrade finished" }, operator);
  progress("paused and resumed a demo workflow");

  // Maintenance windows: a nightly one (02:00 UTC, 45 minutes) and a one-off re-index under way
  // now, which pauses report-export; a start asked for meanwhile is queued (its policy), to run
  // when the window ends. Started here through the worker's own chore, so it reads as the worker's.
  await createWindow(db, { title: "Nightly replica backup", workflowKeys: ["report-export"], reason: "The reporting replica is snapshotted; reads would see a half-copied state", category: "maintenance", cron: "0 2 * * *", timezone: "UTC", durationMinutes: 45 }, operator);
  const reindex = await createWindow(
    db,
    { title: "Reporting replica re-index", workflowKeys: ["report-export"], reason: "Rebuilding the revenue indexes after the schema change", startsAt: new Date(Date.now() - 5 * 60_000).toISOString(), endsAt: new Date(Date.now() + 2 * 3_600_000).toISOString() },
    operator,
  );
  await startDueWindows(db);
  // A window over a filter of instances: only payments-gateway deploys are held over the weekend; other services deploy on.
  // Created after the due windows start, so a seed run at the weekend looks like any other (the worker starts it on its next tick).
  await createWindow(
    db,
    { title: "Payments weekend freeze", workflowKeys: ["deploy-pipeline"], instanceFilter: { input: "service=payments-gateway" }, reason: "No payment changes over the weekend: the on-call payments team is two people", category: "maintenance", cron: "0 18 * * 5", timezone: "Europe/Berlin", durationMinutes: 62 * 60 },
    operator,
  );
  const queued = await startInstance(db, { workflow: "report-export", input: { report: "month-end-close" } }, admin, { catalog });
  progress(`maintenance windows: ${reindex.title} active, ${queued.status === "pending" ? "one start queued" : "no start queued"}`);
}
