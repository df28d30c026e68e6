import { expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { catalog } from "@/workflows/catalog";
import { registerDefinitions } from "@/lib/workflows/registry";
import { createApiToken } from "@/lib/auth/sessions";
import { changeRole } from "@/lib/users/manage-users";
import { pauseWorkflow, resumeWorkflow } from "@/lib/workflows/workflow-pauses";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";
import { parseCsv } from "../support/csv";

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
await registerDefinitions(t.db, catalog);
const { GET: accessRoute } = await import("@/app/api/v1/access-changes/route");
const { GET: pausesRoute } = await import("@/app/api/v1/workflow-pauses/route");
const admin = await createUser(t.db, "admin");
const auditor = await createApiToken(t.db, (await createUser(t.db, "auditor")).id, "t");
const operator = await createApiToken(t.db, (await createUser(t.db, "operator")).id, "t");

it("exports the whole access log as CSV for an auditor, and refuses an operator", async () => {
  const subject = await createUser(t.db, "approver", { email: "exported@test.dev" });
  await changeRole(t.db, { userId: subject.id, role: "auditor" }, admin);
  expect((await accessRoute(apiRequest("/api/v1/access-changes?format=csv", { token: operator }), params({}))).status).toBe(403);
  const response = await accessRoute(apiRequest("/api/v1/access-changes?format=csv", { token: auditor }), params({}));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/csv");
  expect(response.headers.get("content-disposition")).toMatch(/attachment; filename="flowgate-access-log-.*\.csv"/);
  const [header, ...rows] = parseCsv(await response.text());
  expect(header).toEqual(["id", "created_at", "action", "subject_email", "subject_id", "details", "actor_label", "actor_id"]);
  const row = rows.find((r) => r[3] === "exported@test.dev")!;
  expect([row[2], JSON.parse(row[5]!), row[6]]).toEqual(["role_changed", { from: "approver", to: "auditor" }, admin.email]);
});

it("exports the workflow pause log as CSV, a reason that looks like a formula made inert", async () => {
  const operatorActor = { id: null, label: "olga@test.dev" };
  await pauseWorkflow(t.db, { workflow: "nightly-etl", reason: "=HYPERLINK(\"http://evil.example\")" }, operatorActor);
  await resumeWorkflow(t.db, { workflow: "nightly-etl" }, operatorActor);
  const response = await pausesRoute(apiRequest("/api/v1/workflow-pauses?format=csv", { token: auditor }), params({}));
  const [header, ...rows] = parseCsv(await response.text());
  expect(header).toEqual(["id", "created_at", "action", "workflow_key", "reason", "actor_label", "actor_id"]);
  expect(rows.map((r) => [r[2], r[3], r[4], r[5]])).toEqual([
    ["released", "nightly-etl", "", "olga@test.dev"],
    ["held", "nightly-etl", "'=HYPERLINK(\"http://evil.example\")", "olga@test.dev"],
  ]);
});
