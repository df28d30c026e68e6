import { spawn } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, eq, inArray } from "drizzle-orm";
import { gateDecisions, gates, history, stepRuns, users } from "@/db/schema";
import { createApiToken } from "@/lib/auth/sessions";
import { pauseInstance } from "@/lib/instances/pause-instance";
import { createFailedInstance, createGatedInstance, createInstance } from "@/test/support/factories";
import type { Db } from "@/db/client";
import { expect, test } from "../support/fixtures";

// Issue 13 §1: the real `flowgate` CLI, as a subprocess, against the running app and its database.

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs bin/flowgate.mjs with `args`; `onStderr` sees stderr as it arrives (for --wait). */
function flowgate(args: string[], env: Record<string, string>, onStderr?: (soFar: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve("bin/flowgate.mjs"), ...args], { env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function tokenFor(db: Db, email: string) {
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
  return createApiToken(db, user!.id, `cli-e2e-${Date.now()}`);
}

test.describe("the flowgate CLI", () => {
  let env: Record<string, string>;
  test.beforeAll(async ({ db }, info) => {
    env = { FLOWGATE_URL: String(info.project.use.baseURL), FLOWGATE_TOKEN: await tokenFor(db, "operator@flowgate.dev"), XDG_CONFIG_HOME: await mkdtemp(path.join(tmpdir(), "flowgate-cli-")) };
  });

  test("lists and shows instances, as a table or JSON", async ({ db }) => {
    const inst = await createInstance(db);
    await pauseInstance(db, { instanceId: inst.id, reason: "Listed by the CLI" }, { id: null, label: "cli@test" });
    const asJson = await flowgate(["list", "--status", "paused", "--json", "--limit", "500"], env);
    expect(asJson.code).toBe(0);
    const listed = (JSON.parse(asJson.stdout) as { id: string; pauseReason: string }[]).find((i) => i.id === inst.id);
    expect(listed?.pauseReason).toBe("Listed by the CLI");
    const human = await flowgate(["list", "--status", "paused", "--limit", "500"], env);
    expect(human.stdout.split("\n")[0]).toMatch(/^ID\s+WORKFLOW\s+STATUS\s+STEP\s+CHANGED\s+PAUSED BY\s+REASON$/);
    expect(human.stdout).toContain(inst.id);
    expect(human.stdout).not.toContain("\u001b[");
    const shown = await flowgate(["show", inst.id], env);
    expect(shown.stdout).toContain("Paused by cli@test");
  });

  test("retry sends a failed instance back to running with a reason; retrying a running one is a conflict (exit 2)", async ({ db }) => {
    const inst = await createFailedInstance(db);
    const retried = await flowgate(["retry", inst.id, "--reason", "Upstream is back", "--category", "incident"], env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout.trim()).toBe(`${inst.id} running`);
    const [row] = await db.select().from(history).where(and(eq(history.instanceId, inst.id), eq(history.action, "retried")));
    expect(row).toMatchObject({ reason: "Upstream is back", actorLabel: "operator@flowgate.dev", details: expect.objectContaining({ category: "incident" }) });
    const running = await createInstance(db);
    const again = await flowgate(["retry", running.id, "--reason", "not failed"], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("Only a failed instance can be retried");
  });

  test("pause --wait waits until the instance has drained, saying what is still finishing", async ({ db }) => {
    const inst = await createInstance(db, { runningSteps: ["a"] });
    let finishing: Promise<unknown> | null = null;
    const run = flowgate(["pause", inst.id, "--reason", "Drain check", "--wait"], env, (stderr) => {
      if (finishing || !stderr.includes("draining: 1 finishing")) return;
      // The running step finishes, as the worker would: the pause is then complete. (A drizzle
      // query runs only when awaited or then-ed: keep the promise.)
      finishing = db.update(stepRuns).set({ status: "completed", finishedAt: new Date() }).where(and(eq(stepRuns.instanceId, inst.id), eq(stepRuns.stepKey, "a"))).then((r) => r);
    });
    const result = await run;
    await finishing;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${inst.id}  paused`);
    expect(result.stderr).toContain(`${inst.id}: draining: 1 finishing`);
    expect(result.stderr).toContain(`${inst.id}: fully paused`);
  });

  test("exit codes: 2 for a conflict, 3 for not found, 1 for bad arguments or no token, 4 when the server cannot be reached", async ({ db }) => {
    const inst = await createInstance(db);
    await pauseInstance(db, { instanceId: inst.id, reason: "first" }, { id: null, label: "first@test" });
    const conflict = await flowgate(["pause", inst.id, "--reason", "second"], env);
    expect(conflict.code).toBe(2);
    expect(conflict.stdout).toContain("refused: Already paused by first@test");
    expect((await flowgate(["show", "00000000-0000-4000-8000-000000000000"], env)).code).toBe(3);
    const noReason = await flowgate(["pause", inst.id], env);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain("--reason");
    const invalid = await flowgate(["pause", inst.id, "--reason", "\u200b"], env);
    expect(invalid.code).toBe(1);
    expect((await flowgate(["list"], { XDG_CONFIG_HOME: env.XDG_CONFIG_HOME! })).stderr).toContain("flowgate login");
    expect((await flowgate(["list"], { ...env, FLOWGATE_TOKEN: "fgt_not-a-token" })).code).toBe(3);
    const down = await flowgate(["list"], { ...env, FLOWGATE_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(4);
    expect(down.stderr).toContain("Cannot reach Flowgate");
  });

  test("pause --all by filter asks first (or takes --yes) and prints each instance's result", async ({ db }) => {
    const a = await createInstance(db);
    const b = await createInstance(db, { definitionId: a.definitionId, workflowKey: a.workflowKey });
    const unasked = await flowgate(["pause", "--all", "--workflow", a.workflowKey, "--status", "running", "--reason", "Freeze"], env);
    expect(unasked.code).toBe(1);
    expect(unasked.stderr).toContain("2 running instances of");
    expect(unasked.stderr).toContain("--yes");
    const done = await flowgate(["pause", "--all", "--workflow", a.workflowKey, "--status", "running", "--reason", "Freeze", "--yes"], env);
    expect(done.code, done.stderr).toBe(0);
    for (const inst of [a, b]) expect(done.stdout).toContain(`${inst.id}  paused`);
    expect(done.stderr).toContain("2 of 2 paused");
    // One bulk operation by filter (issue 14 §3), run by the worker: each history row names it.
    const operationId = /bulk operation ([0-9a-f-]{36})/.exec(done.stderr)?.[1];
    expect(operationId, done.stderr).toBeDefined();
    const rows = await db.select({ details: history.details }).from(history).where(and(eq(history.action, "paused"), inArray(history.instanceId, [a.id, b.id])));
    expect(rows.map((r) => r.details.bulkOperationId)).toEqual([operationId, operationId]);
    const resumed = await flowgate(["resume", a.id, b.id, "--reason", "Thaw", "--json"], env);
    expect(JSON.parse(resumed.stdout)).toEqual([{ instanceId: expect.any(String), ok: true }, { instanceId: expect.any(String), ok: true }]);
  });

  test("exports the history as NDJSON on stdout with progress on stderr", async ({ db }) => {
    const inst = await createInstance(db);
    await pauseInstance(db, { instanceId: inst.id, reason: "Exported" }, { id: null, label: "cli@test" });
    const run = await flowgate(["export", "--format", "ndjson", "--instance", inst.id], env);
    expect(run.code).toBe(0);
    const rows = run.stdout.trim().split("\n").map((line) => JSON.parse(line) as { action: string; reason: string | null });
    expect(rows.map((r) => r.action).sort()).toEqual(["paused", "started"]);
    expect(run.stderr).toContain("exported 2 rows");
  });

  test("an approver lists pending gates and approves one; login saves the token for later commands", async ({ db }) => {
    const { gate, instance } = await createGatedInstance(db, { stage: "cli-review" });
    const approver = { ...env, FLOWGATE_TOKEN: await tokenFor(db, "approver@flowgate.dev") };
    const pending = await flowgate(["gates", "--pending", "--json"], approver);
    expect((JSON.parse(pending.stdout) as { id: string }[]).map((g) => g.id)).toContain(gate.id);
    const approved = await flowgate(["approve", gate.id, "--comment", "Looks right"], approver);
    expect(approved.code, approved.stderr).toBe(0);
    const rows = await db.select().from(history).where(and(eq(history.instanceId, instance.id), eq(history.actorLabel, "approver@flowgate.dev")));
    expect(rows.length).toBeGreaterThan(0);

    const config = { XDG_CONFIG_HOME: await mkdtemp(path.join(tmpdir(), "flowgate-login-")) };
    const login = await flowgate(["login", "--url", env.FLOWGATE_URL!, "--token", approver.FLOWGATE_TOKEN], config);
    expect(login.stdout).toContain("Signed in as approver@flowgate.dev");
    expect(JSON.parse(await readFile(path.join(config.XDG_CONFIG_HOME, "flowgate/config.json"), "utf8"))).toMatchObject({ token: approver.FLOWGATE_TOKEN });
    expect((await flowgate(["whoami"], config)).stdout).toContain("<approver@flowgate.dev> approver");
  });

  test("approve --option and --value fill a gate's form and choose its path; a bad value exits 1 and changes nothing", async ({ db }) => {
    const form = { type: "object" as const, properties: { batch: { type: "integer" as const, minimum: 1, maximum: 10 }, note: { type: "string" as const } }, required: ["batch"], order: ["batch", "note"] };
    const branches = [{ key: "c", name: "C", dependsOn: ["b"] }, { key: "d", name: "D", dependsOn: ["b"] }];
    const { gate } = await createGatedInstance(db, { stage: "cli-form", form, options: [{ name: "go", next: "c" }, { name: "stop", next: "d" }] }, undefined, branches);
    const approver = { ...env, FLOWGATE_TOKEN: await tokenFor(db, "approver@flowgate.dev") };
    const bad = await flowgate(["approve", gate.id, "--option", "go", "--value", "batch=11"], approver);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("batch must be at most 10");
    expect((await db.select().from(gateDecisions).where(eq(gateDecisions.gateId, gate.id))).length).toBe(0);
    const ok = await flowgate(["approve", gate.id, "--option", "stop", "--value", "batch=3", "--value", "note=canary is red"], approver);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('Gate approved: taking "stop"; skipped c');
    const [row] = await db.select().from(gates).where(eq(gates.id, gate.id));
    expect(row).toMatchObject({ status: "approved", chosenOption: "stop", values: { batch: 3, note: "canary is red" } });
  });

  test("starts an instance with JSON input", async () => {
    const run = await flowgate(["start", "deploy-pipeline", "--input", '{"service":"cli-api"}', "--json"], env);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { input: { service: string } }).input.service).toBe("cli-api");
    expect((await flowgate(["start", "deploy-pipeline", "--input", "{not json"], env)).code).toBe(1);
  });
});
