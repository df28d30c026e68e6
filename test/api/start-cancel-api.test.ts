import { describe, expect, it } from "vitest";
import { useConnection } from "@/db/client";
import { catalog } from "@/workflows/catalog";
import { registerDefinitions } from "@/lib/workflows/registry";
import { createApiToken } from "@/lib/auth/sessions";
import { apiRequest, params } from "../support/api";
import { freshDatabase } from "../support/db";
import { createUser } from "../support/factories";

const t = await freshDatabase();
useConnection({ db: t.db, sql: t.sql });
await registerDefinitions(t.db, catalog);
const { POST: startRoute } = await import("@/app/api/v1/instances/route");
const { POST: cancelRoute } = await import("@/app/api/v1/instances/[id]/cancel/route");
const { GET: workflowsRoute } = await import("@/app/api/v1/workflows/route");
const { POST: holdRoute } = await import("@/app/api/v1/workflows/[key]/pause/route");
const { POST: releaseRoute } = await import("@/app/api/v1/workflows/[key]/resume/route");
const { GET: pauseLogRoute } = await import("@/app/api/v1/workflow-pauses/route");
const operator = await createApiToken(t.db, (await createUser(t.db, "operator")).id, "t");
const auditor = await createApiToken(t.db, (await createUser(t.db, "auditor")).id, "t");

const start = (body: unknown, token = operator) => startRoute(apiRequest("/api/v1/instances", { method: "POST", token, body }), params({}));
const cancel = (id: string, body: unknown, token = operator) => cancelRoute(apiRequest(`/api/v1/instances/${id}/cancel`, { method: "POST", token, body }), params({ id }));

describe("start and cancel over HTTP", () => {
  it("starts an instance: 201 with the running instance and its defaults applied", async () => {
    const response = await start({ workflow: "deploy-pipeline", input: { service: "billing" } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ workflowKey: "deploy-pipeline", status: "running", input: { service: "billing", ref: "main" } });
  });

  it("400 with field errors for input the workflow's schema refuses; 404 for an unknown workflow; 403 for an auditor", async () => {
    const bad = await start({ workflow: "deploy-pipeline", input: { service: "" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { fields: Record<string, string[]> } }).error.fields["input.service"]).toBeDefined();
    expect((await start({ workflow: "no-such-flow" })).status).toBe(404);
    expect((await start({ workflow: "nightly-etl" }, auditor)).status).toBe(403);
  });

  it("cancels with a reason: 200 once, then 409; 400 without a reason", async () => {
    const created = (await (await start({ workflow: "nightly-etl" })).json()) as { id: string };
    expect((await cancel(created.id, {})).status).toBe(400);
    const ok = await cancel(created.id, { reason: "Superseded" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "cancelled" });
    expect((await cancel(created.id, { reason: "again" })).status).toBe(409);
    expect((await cancel(created.id, { reason: "x" }, auditor)).status).toBe(403);
  });

  it("lists workflow definitions with their steps and counts", async () => {
    const response = await workflowsRoute(apiRequest("/api/v1/workflows", { token: auditor }), params({}));
    const body = (await response.json()) as { items: { key: string; steps: { key: string }[]; counts: Record<string, number> }[] };
    expect(body.items.map((d) => d.key).sort()).toEqual(["access-request", "database-migration", "deploy-pipeline", "firewall-change", "hotfix-rollout", "nightly-etl", "report-export"]);
    expect(body.items.find((d) => d.key === "deploy-pipeline")!.steps.map((s) => s.key)).toEqual(["build", "test", "deploy-staging", "deploy-production", "verify"]);
  });
});

describe("pausing a whole workflow over HTTP", () => {
  const hold = (key: string, body: unknown, token = operator) => holdRoute(apiRequest(`/api/v1/workflows/${key}/pause`, { method: "POST", token, body }), params({ key }));
  const release = (key: string, body: unknown, token = operator) => releaseRoute(apiRequest(`/api/v1/workflows/${key}/resume`, { method: "POST", token, body }), params({ key }));

  it("an operator holds it (200), starts answer 409 with the reason, the list shows the hold; an auditor may not; then it is released", async () => {
    expect((await hold("database-migration", { reason: "Schema freeze" }, auditor)).status).toBe(403);
    expect((await hold("database-migration", {})).status).toBe(400);
    const held = await hold("database-migration", { reason: "Schema freeze" });
    expect(held.status).toBe(200);
    expect(await held.json()).toMatchObject({ workflowKey: "database-migration", reason: "Schema freeze" });
    expect((await hold("database-migration", { reason: "again" })).status).toBe(409);

    const refused = await start({ workflow: "database-migration" });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/database-migration is paused by .*: Schema freeze/);
    const listed = (await (await workflowsRoute(apiRequest("/api/v1/workflows", { token: auditor }), params({}))).json()) as { items: { key: string; hold: { reason: string } | null }[] };
    expect(listed.items.find((w) => w.key === "database-migration")?.hold).toMatchObject({ reason: "Schema freeze" });
    expect(listed.items.find((w) => w.key === "nightly-etl")?.hold).toBeNull();

    expect((await release("database-migration", {}, auditor)).status).toBe(403);
    const released = await release("database-migration", { reason: "Freeze over" });
    expect(released.status).toBe(200);
    expect(await released.json()).toEqual({ workflowKey: "database-migration", held: false });
    expect((await release("database-migration", {})).status).toBe(409);
    expect((await start({ workflow: "database-migration" })).status).toBe(201);
    const log = (await (await pauseLogRoute(apiRequest("/api/v1/workflow-pauses", { token: auditor }), params({}))).json()) as { items: { action: string; reason: string | null }[] };
    expect(log.items.slice(0, 2).map((e) => [e.action, e.reason])).toEqual([["released", "Freeze over"], ["held", "Schema freeze"]]);
  });

  it("a refusal names what was refused: pausing or resuming a workflow, not an instance", async () => {
    const refusedHold = await hold("nightly-etl", { reason: "Audit week" }, auditor);
    expect(refusedHold.status).toBe(403);
    expect(((await refusedHold.json()) as { error: { message: string } }).error.message).toBe("The auditor role cannot pause workflows");
    const refusedRelease = await release("nightly-etl", {}, auditor);
    expect(refusedRelease.status).toBe(403);
    expect(((await refusedRelease.json()) as { error: { message: string } }).error.message).toBe("The auditor role cannot resume workflows");
  });
});
