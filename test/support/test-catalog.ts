/**
 * Workflows the engine tests run in real worker processes (FLOWGATE_CATALOG points here).
 * Steps report what happened to them through `observe`, a row in `test_observations`, because
 * they run in another process than the test: that is how a test sees an abort signal fire.
 */
import postgres from "postgres";
import { z } from "zod";
import { sleep } from "@/workflows/demo-time";
import { defineWorkflow, type RegisteredWorkflow } from "@/lib/workflows/sdk";

let observer: postgres.Sql | undefined;

export const OBSERVATIONS_DDL = `create table if not exists test_observations (
  id bigserial primary key, instance_id uuid not null, step text not null, what text not null, at timestamptz not null default clock_timestamp())`;

/** Records an observation in the test database (the worker's DATABASE_URL). */
export async function observe(instanceId: string, step: string, what: string): Promise<void> {
  observer ??= postgres(process.env.DATABASE_URL!, { max: 2, onnotice: () => {} });
  await observer`insert into test_observations (instance_id, step, what) values (${instanceId}, ${step}, ${what})`;
}

/** Sleeps, but records an abort before passing it on. */
async function hold(ms: number, ctx: { signal: AbortSignal; instanceId: string; stepKey: string }): Promise<void> {
  try {
    await sleep(ms, ctx.signal);
  } catch (error) {
    await observe(ctx.instanceId, ctx.stepKey, "aborted");
    throw error;
  }
}

/** The observation a test writes (step "-") to let `step` of an instance finish: see awaitRelease. */
export const releaseMark = (step: string) => `release:${step}`;

/**
 * Records that the step started, then waits until the test releases it (a `-` / releaseMark
 * observation), honouring the step's signal. The test thus orders the step's end after its own
 * actions (a pause, a gate reached) by conditions, not by how long the step sleeps.
 */
async function awaitRelease(ctx: { signal: AbortSignal; instanceId: string; stepKey: string }): Promise<void> {
  await observe(ctx.instanceId, ctx.stepKey, "started");
  for (;;) {
    const [released] = await observer!`select 1 from test_observations where instance_id = ${ctx.instanceId} and step = '-' and what = ${releaseMark(ctx.stepKey)} limit 1`;
    if (released) return;
    await hold(25, ctx);
  }
}

/** Set by a test in its own process: resumeInstance runs the condition where it is called. */
export const conditions = { allow: true, message: "the maintenance window is still open" };

const msInput = z.object({ ms: z.number().int().min(0).max(60_000).default(20) });

export const chain = defineWorkflow({
  key: "t-chain",
  version: 1,
  name: "Chain",
  input: msInput,
  steps: {
    a: { run: async (ctx) => { await hold(ctx.input.ms, ctx); ctx.updateContext({ a: ctx.attempt, list: [1, 2, 3], nested: { z: 1, a: "ü" } }); return { done: "a" }; } },
    b: { dependsOn: ["a"], run: async (ctx) => { await observe(ctx.instanceId, "b", `saw:${JSON.stringify(ctx.context)}`); await hold(ctx.input.ms, ctx); ctx.updateContext({ b: ctx.attempt }); } },
    c: { dependsOn: ["b"], run: async (ctx) => { await hold(ctx.input.ms, ctx); ctx.updateContext({ c: ctx.attempt }); } },
  },
});

/** Every step writes down that its body ran: how a test counts executions, not just step rows (scale-out.test.ts). */
export const observedChain = defineWorkflow({
  key: "t-observed",
  version: 1,
  name: "Observed chain",
  steps: Object.fromEntries(
    ["a", "b", "c"].map((k, i, keys) => [k, { dependsOn: i ? [keys[i - 1]!] : [], run: async (ctx: { instanceId: string; stepKey: string; signal: AbortSignal }) => { await observe(ctx.instanceId, ctx.stepKey, "ran"); await sleep(2, ctx.signal); } }]),
  ),
});

/** Many short steps with a fan-out: the halting stress test's workload. */
export const fanout = defineWorkflow({
  key: "t-fanout",
  version: 1,
  name: "Fan-out",
  steps: Object.fromEntries([
    ["s1", { run: async (ctx: { signal: AbortSignal }) => sleep(2 + Math.random() * 8, ctx.signal) }],
    ...["p1", "p2", "p3", "p4"].map((k) => [k, { dependsOn: ["s1"], run: async (ctx: { signal: AbortSignal }) => sleep(2 + Math.random() * 8, ctx.signal) }]),
    ["s2", { dependsOn: ["p1", "p2", "p3", "p4"], run: async (ctx: { signal: AbortSignal }) => sleep(2 + Math.random() * 8, ctx.signal) }],
    ...["q1", "q2", "q3"].map((k) => [k, { dependsOn: ["s2"], run: async (ctx: { signal: AbortSignal }) => sleep(2 + Math.random() * 8, ctx.signal) }]),
    ["s3", { dependsOn: ["q1", "q2", "q3"], run: async (ctx: { signal: AbortSignal }) => sleep(2 + Math.random() * 8, ctx.signal) }],
  ]),
});

export const programmatic = defineWorkflow({
  key: "t-programmatic",
  version: 1,
  name: "Programmatic pause",
  steps: {
    check: { run: (ctx) => { ctx.updateContext({ load: 0.97 }); ctx.pauseWorkflow("High system load detected"); return { load: 0.97 }; } },
    next: { dependsOn: ["check"], run: (ctx) => { ctx.updateContext({ next: true }); } },
  },
});

export const checkpoint = defineWorkflow({
  key: "t-checkpoint",
  version: 1,
  name: "Checkpoint",
  steps: {
    generate: { run: (ctx) => { ctx.updateContext({ migration: "0042.sql" }); } },
    apply: { dependsOn: ["generate"], pauseBefore: true, run: (ctx) => { ctx.updateContext({ applied: true }); } },
  },
});

export const gated = defineWorkflow({
  key: "t-gated",
  version: 1,
  name: "Gated",
  steps: {
    build: { run: (ctx) => { ctx.updateContext({ built: true }); } },
    deploy: { dependsOn: ["build"], gate: { stage: "staging approval", approvals: 1, approverRole: "approver" }, run: (ctx) => { ctx.updateContext({ deployed: true }); } },
    verify: { dependsOn: ["deploy"], run: (ctx) => { ctx.updateContext({ verified: true }); } },
  },
});

export const guarded = defineWorkflow({
  key: "t-guarded",
  version: 1,
  name: "Guarded resume",
  input: msInput,
  steps: {
    a: { run: async (ctx) => { await hold(ctx.input.ms, ctx); ctx.updateContext({ a: true }); } },
    b: { dependsOn: ["a"], run: (ctx) => { ctx.updateContext({ b: true }); } },
  },
  resumeCondition: () => (conditions.allow ? { ok: true } : { ok: false, message: conditions.message }),
});

export const hooked = defineWorkflow({
  key: "t-hooks",
  version: 1,
  name: "Hooks",
  input: z.object({ ms: z.number().int().default(300), failOnPause: z.boolean().default(false) }),
  steps: {
    a: { run: async (ctx) => { await hold(ctx.input.ms, ctx); } },
    b: { dependsOn: ["a"], run: async (ctx) => { await observe(ctx.instanceId, "b", "started"); } },
  },
  onPause: async ({ instance }) => {
    await observe(instance.id, "-", "onPause");
    if ((instance.input as { failOnPause?: boolean }).failOnPause) throw new Error("lock server unreachable");
  },
  onResume: async ({ instance }) => {
    await observe(instance.id, "-", "onResume");
  },
});

export const flaky = defineWorkflow({
  key: "t-flaky",
  version: 1,
  name: "Flaky",
  input: z.object({ succeedOn: z.number().int().min(1).default(2) }),
  steps: {
    attempt: {
      retries: 2,
      backoffMs: 20,
      run: (ctx) => {
        if (ctx.attempt < ctx.input.succeedOn) throw new Error(`upstream returned 503 (attempt ${ctx.attempt})`);
        ctx.updateContext({ succeededOn: ctx.attempt });
      },
    },
  },
});

export const slow = defineWorkflow({
  key: "t-timeout",
  version: 1,
  name: "Times out",
  steps: {
    // Ignores its signal on purpose: the timeout must not depend on the step's cooperation.
    hang: { retries: 1, backoffMs: 10, timeoutMs: 150, run: () => new Promise((r) => setTimeout(r, 700)) },
  },
});

export const validated = defineWorkflow({
  key: "t-validated",
  version: 1,
  name: "Validated input",
  input: z.object({ service: z.string().min(1, "Name the service"), replicas: z.number().int().min(1).max(10).default(1) }),
  steps: { only: { run: (ctx) => { ctx.updateContext({ service: ctx.input.service, replicas: ctx.input.replicas }); } } },
});

/** Issue 9 §2: a step that finds replication lagging stops its own workflow before `load`. */
export const stepPause = defineWorkflow({
  key: "t-step-pause",
  version: 1,
  name: "Step pauses its workflow",
  steps: {
    check: { run: async (ctx) => { await awaitRelease(ctx); ctx.updateContext({ lagSeconds: 45 }); ctx.pauseWorkflow("Replication lag 45s"); } },
    load: { dependsOn: ["check"], run: async (ctx) => { await observe(ctx.instanceId, "load", "started"); ctx.updateContext({ loaded: true }); } },
  },
});

/** Maintenance windows with a real worker: `a` runs until the test releases it (so a window starts while it drains), then `b`. */
export const windowed = defineWorkflow({
  key: "t-window",
  version: 1,
  name: "Paused by a window",
  steps: {
    a: { run: async (ctx) => { await awaitRelease(ctx); ctx.updateContext({ a: true }); } },
    b: { dependsOn: ["a"], run: async (ctx) => { await observe(ctx.instanceId, "b", "started"); ctx.updateContext({ b: true }); } },
  },
});

/** A step `z` that asks to pause in a branch beside the gated step `y`, after the instance reached y's gate. */
export const stepPauseBesideGate = defineWorkflow({
  key: "t-step-pause-gate",
  version: 1,
  name: "Step pause beside a gate",
  steps: {
    x: { run: (ctx) => { ctx.updateContext({ x: true }); } },
    y: { dependsOn: ["x"], gate: { stage: "release approval", approvals: 1, approverRole: "approver" }, run: async (ctx) => { await observe(ctx.instanceId, "y", "started"); } },
    z: { run: async (ctx) => { await awaitRelease(ctx); ctx.pauseWorkflow("Replica behind; hold the release"); } },
    after: { dependsOn: ["z"], run: async (ctx) => { await observe(ctx.instanceId, "after", "started"); } },
  },
});

/** One step's completion reaches a gate (`y`) and a checkpoint (`c`) at once. */
export const checkpointBesideGate = defineWorkflow({
  key: "t-checkpoint-gate",
  version: 1,
  name: "Checkpoint beside a gate",
  steps: {
    x: { run: (ctx) => { ctx.updateContext({ x: true }); } },
    y: { dependsOn: ["x"], gate: { stage: "release approval", approvals: 1, approverRole: "approver" }, run: async (ctx) => { await observe(ctx.instanceId, "y", "started"); } },
    c: { dependsOn: ["x"], pauseBefore: true, run: async (ctx) => { await observe(ctx.instanceId, "c", "started"); } },
  },
});


/** Polls the test database until the instance has a pending gate (or the signal fires). */
async function untilGatePending(instanceId: string, signal: AbortSignal): Promise<void> {
  observer ??= postgres(process.env.DATABASE_URL!, { max: 2, onnotice: () => {} });
  for (;;) {
    const rows = await observer`select 1 from gates where instance_id = ${instanceId} and status = 'pending'`;
    if (rows.length) return;
    await sleep(20, signal);
  }
}

/**
 * A branch that fails beside a pending gate: `quick` reaches the gate before `release`, while
 * `boom`, running in parallel, waits until that gate is pending and then fails for good.
 */
export const branchBesideGate = defineWorkflow({
  key: "t-branch-gate",
  version: 1,
  name: "Branch beside a gate",
  steps: {
    quick: { run: (ctx) => { ctx.updateContext({ quick: true }); } },
    release: { dependsOn: ["quick"], gate: { stage: "release approval", approverRole: "approver" }, run: (ctx) => { ctx.updateContext({ released: true }); } },
    boom: { run: async (ctx) => { await untilGatePending(ctx.instanceId, ctx.signal); throw new Error("disk full"); } },
  },
});

/** Text no person could send past the boundary, from a step: NUL, half a surrogate pair, and more than 2,000 emoji. */
export const BAD_TEXT = `bad \u0000 byte, half a pair \ud800, then ${"😀".repeat(2100)}`;

/** A step that fails, or asks to pause, with BAD_TEXT (issue 10: a step must not be able to break the audit chain). */
export const badText = defineWorkflow({
  key: "t-bad-text",
  version: 1,
  name: "Bad text from a step",
  input: z.object({ mode: z.enum(["fail", "pause", "output"]) }),
  steps: {
    ask: {
      run: (ctx) => {
        if (ctx.input.mode === "fail") throw new Error(BAD_TEXT);
        if (ctx.input.mode === "output") return { note: "NUL \u0000 inside a result" };
        ctx.pauseWorkflow(BAD_TEXT);
      },
    },
    after: { dependsOn: ["ask"], run: () => {} },
  },
});

/** The observation a test writes (step "-") to make t-retry's `load` step succeed from then on. */
export const FIX_LOAD = "fix:load";

/**
 * For retrying a failed instance: `prepare` runs once and writes the context; `load` fails (after
 * its one automatic retry) until the test writes FIX_LOAD, logging a line each attempt; `publish` runs after it.
 */
export const retryable = defineWorkflow({
  key: "t-retry",
  version: 1,
  name: "Retryable",
  steps: {
    prepare: {
      run: async (ctx) => {
        await observe(ctx.instanceId, ctx.stepKey, "ran");
        ctx.updateContext({ prepared: true, batch: 42 });
        return { rows: 3 };
      },
    },
    load: {
      dependsOn: ["prepare"],
      retries: 1,
      backoffMs: 10,
      run: async (ctx) => {
        ctx.log.info({ batch: ctx.context.batch }, `loading batch, attempt ${ctx.attempt}`);
        await observe(ctx.instanceId, ctx.stepKey, `attempt ${ctx.attempt}`);
        observer ??= postgres(process.env.DATABASE_URL!, { max: 2, onnotice: () => {} });
        const [fixed] = await observer`select 1 from test_observations where instance_id = ${ctx.instanceId} and step = '-' and what = ${FIX_LOAD} limit 1`;
        if (!fixed) {
          ctx.log.warn("the warehouse refused the batch");
          throw new Error(`warehouse refused the batch (attempt ${ctx.attempt})`);
        }
        ctx.updateContext({ loadedOn: ctx.attempt });
        return { loaded: 3, attempt: ctx.attempt };
      },
    },
    publish: { dependsOn: ["load"], run: (ctx) => void ctx.updateContext({ published: true }) },
  },
});

/**
 * A gate with a form and two branches (issue 14 §4): `review` is gated (the approver fills the
 * form and picks `ship` or `hold`), records what its `ctx.gate` holds, then one branch runs.
 * `announce` follows `hold` only, so it is skipped with it; `report` joins both branches. The
 * `-expiring` variant's gate expires after `expiresAfterMs` to step `hold`.
 */
const gateBranch = (key: string, expiry?: { expiresAfterMs: number }) =>
  defineWorkflow({
    key,
    version: 1,
    name: "Gate with a form and branches",
    steps: {
      prepare: { run: () => ({ prepared: true }) },
      review: {
        dependsOn: ["prepare"],
        gate: {
          stage: "release review",
          approverRole: "approver",
          form: z.object({
            region: z.enum(["eu", "us"]).describe("Where to release"),
            batch: z.number().int().min(1).max(10).default(2).describe("Hosts per batch"),
            note: z.string().max(200).optional(),
            urgent: z.boolean().default(false),
          }),
          options: [
            { name: "ship", label: "Ship it", next: "ship" },
            { name: "hold", label: "Hold it", next: "hold" },
          ],
          ...(expiry ? { expiresAfterMs: expiry.expiresAfterMs, onExpiry: { step: "hold" } } : {}),
        },
        run: async (ctx) => {
          await observe(ctx.instanceId, ctx.stepKey, `gate:${JSON.stringify(ctx.gate)}`);
          return { option: ctx.gate?.option ?? null };
        },
      },
      ship: { dependsOn: ["review"], run: async (ctx) => observe(ctx.instanceId, ctx.stepKey, "ran") },
      hold: { dependsOn: ["review"], run: async (ctx) => observe(ctx.instanceId, ctx.stepKey, "ran") },
      announce: { dependsOn: ["hold"], run: async (ctx) => observe(ctx.instanceId, ctx.stepKey, "ran") },
      report: { dependsOn: ["ship", "announce"], run: async (ctx) => observe(ctx.instanceId, ctx.stepKey, "ran") },
    },
  });

export const gateForm = gateBranch("t-gate-form");
export const gateFormExpiring = gateBranch("t-gate-form-expiring", { expiresAfterMs: 300 });

export const catalog: RegisteredWorkflow[] = [chain, observedChain, fanout, programmatic, checkpoint, gated, guarded, hooked, flaky, slow, validated, stepPause, stepPauseBesideGate, checkpointBesideGate, branchBesideGate, badText, retryable, gateForm, gateFormExpiring, windowed];
