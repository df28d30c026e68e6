import type { Logger } from "pino";
import { z } from "zod";
import type { GateSpec, HeldStartPolicy, Instance, StepSpec } from "@/db/schema";
import { asGateForm } from "@/lib/gates/form";
import { MIN_NOTIFY_EVERY_MS } from "@/lib/domain";
import { registerResumeConditions, type ResumeCheck } from "@/lib/instances/resume-conditions";

export type WorkflowContext = Record<string, unknown>;

export type StepContext<Input> = {
  instanceId: string;
  stepKey: string;
  attempt: number;
  input: Input;
  /** The instance context as of this step's start; read it freely. */
  context: Readonly<WorkflowContext>;
  /** Merges keys into the context; saved together with the step's result, never before. */
  updateContext: (patch: WorkflowContext) => void;
  /** Aborted on an immediate pause, a cancel or the step's timeout. */
  signal: AbortSignal;
  /** Extends the lease on a long step; the worker also heartbeats on its own while the step runs. */
  heartbeat: () => Promise<void>;
  log: Logger;
  /** Pauses this workflow once the step returns (a programmatic pause, recorded with the step as actor). */
  pauseWorkflow: (reason: string) => void;
  /** For a gated step: how its gate was passed (the option, the form values, every decision); null for other steps. */
  gate: GateOutcome | null;
};

/**
 * How a step's gate let it through, as the step sees it (`ctx.gate`). `values` are the form values
 * of the decision that completed the quorum (or null: no form, or an expiry); `decisions` keeps
 * every approval with its own values, oldest first, so a step may combine them as it likes.
 */
export type GateOutcome = {
  stage: string;
  status: "approved" | "expired";
  option: string | null;
  values: Record<string, unknown> | null;
  decisions: { by: string; option: string | null; values: Record<string, unknown> | null; comment: string | null; at: string }[];
};

/**
 * A gate as a workflow author writes it: a GateSpec whose `form` is a zod object (choices with
 * z.enum, text, numbers, booleans; `.default()` and `.describe()` carry over). defineWorkflow
 * turns the form into JSON Schema for the dashboard and the decision's validation.
 */
export type GateDefinition = Omit<GateSpec, "form"> & { form?: z.ZodObject };

export type StepDefinition<Input> = {
  name?: string;
  dependsOn?: string[];
  /** A checkpoint: the instance pauses before this step, until an operator resumes it. */
  pauseBefore?: boolean;
  /** An approval gate: the instance waits before this step until approvers sign it off. */
  gate?: GateDefinition;
  retries?: number;
  /** Base delay of the exponential backoff between retries. */
  backoffMs?: number;
  timeoutMs?: number;
  run: (ctx: StepContext<Input>) => Promise<unknown> | unknown;
};

export type LifecycleContext = { instance: Instance; log: Logger };

export type Workflow<Input = unknown> = {
  key: string;
  version: number;
  name: string;
  description: string;
  input?: z.ZodType<Input>;
  steps: Record<string, StepDefinition<Input>>;
  /** Runs once the instance is fully paused (all in-flight steps drained): release resources here. */
  onPause?: (ctx: LifecycleContext) => Promise<void> | void;
  /** Runs on resume, before the next step starts: reacquire what onPause released. */
  onResume?: (ctx: LifecycleContext) => Promise<void> | void;
  /** The whole instance must finish within this, not counting time spent paused; then it times out. */
  timeoutMs?: number;
  /** Checked on resume; a failing check keeps the instance paused and shows its message. */
  resumeCondition?: (ctx: { instance: Instance }) => Promise<ResumeCheck> | ResumeCheck;
  /**
   * What a start does while the whole workflow is paused (by an operator or a maintenance
   * window): `refuse` it with a conflict (the default), or `queue` it: accepted as `pending`,
   * started in order when the pause ends, dropped with a recorded reason if still waiting after
   * `queueTtlSeconds`. Operators may override it on the Workflows page (lib/workflows/start-policy.ts).
   */
  whenPaused?: WhenPaused;
};

/** The longest a queued start may wait (a year), here and in the operator's override; the table's check says the same. */
export const QUEUE_TTL_MAX_SECONDS = 31_536_000;

/** A workflow's default policy for starts while it is paused; see Workflow.whenPaused. */
export type WhenPaused = { policy: HeldStartPolicy; queueTtlSeconds?: number };

/**
 * A workflow with its input type erased, as the catalog and the worker hold it. The erasure is
 * sound because the worker only hands a step input that `parseInput` (the author's schema) produced.
 */
export type RegisteredWorkflow = Omit<Workflow<unknown>, "input" | "steps"> & {
  /** The steps, each gate's form already JSON Schema (checked when the workflow was defined). */
  steps: Record<string, Omit<StepDefinition<unknown>, "gate"> & { gate?: GateSpec }>;
  parseInput: (raw: unknown) => { ok: true; value: unknown } | { ok: false; issues: z.core.$ZodIssue[] };
  /** The input schema as JSON Schema, so the dashboard can draw a start form for it. */
  inputJsonSchema: Record<string, unknown> | null;
};

/**
 * What a step key may be: a letter, then up to 62 letters, digits, `-` or `_`. Keys appear in
 * history actors (`step:<key>`), URLs, logs and SQL arrays; nothing in them needs quoting anywhere.
 */
export const STEP_KEY_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/i;

/**
 * Checks a workflow's shape and erases its input type for the catalog.
 * Throws an Error naming the workflow when a step key does not match STEP_KEY_PATTERN, a step
 * depends on an unknown step, the steps form a cycle, or a gate's `notifyEveryMs` is under a minute.
 */
export function defineWorkflow<Input = Record<string, never>>(workflow: {
  key: string;
  version: number;
  name: string;
  description?: string;
  input?: z.ZodType<Input>;
  steps: Record<string, StepDefinition<Input>>;
  onPause?: Workflow<Input>["onPause"];
  onResume?: Workflow<Input>["onResume"];
  resumeCondition?: Workflow<Input>["resumeCondition"];
  timeoutMs?: number;
  whenPaused?: WhenPaused;
}): RegisteredWorkflow {
  const keys = Object.keys(workflow.steps);
  for (const key of keys) {
    if (!STEP_KEY_PATTERN.test(key)) {
      throw new Error(`${workflow.key}: step key ${JSON.stringify(key)} is not allowed: use a letter, then up to 62 letters, digits, "-" or "_" (${STEP_KEY_PATTERN})`);
    }
  }
  for (const [key, step] of Object.entries(workflow.steps)) {
    for (const dep of step.dependsOn ?? []) {
      if (!keys.includes(dep)) throw new Error(`${workflow.key}: step "${key}" depends on unknown step "${dep}"`);
    }
    const every = step.gate?.notifyEveryMs;
    // A shorter interval would mail people faster than they can read; a typo (seconds for ms) is caught here, at start.
    if (every !== undefined && !(Number.isInteger(every) && every >= MIN_NOTIFY_EVERY_MS)) {
      throw new Error(`${workflow.key}: step "${key}": gate.notifyEveryMs must be a whole number of milliseconds, at least ${MIN_NOTIFY_EVERY_MS}`);
    }
  }
  assertAcyclic(workflow.key, workflow.steps);
  const ttl = workflow.whenPaused?.queueTtlSeconds;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 1 && ttl <= QUEUE_TTL_MAX_SECONDS)) {
    throw new Error(`${workflow.key}: whenPaused.queueTtlSeconds must be a whole number of seconds between 1 and ${QUEUE_TTL_MAX_SECONDS}`);
  }
  const { input, ...rest } = workflow;
  const steps = Object.fromEntries(Object.entries(workflow.steps).map(([key, step]) => [key, step.gate ? { ...step, gate: checkGate(workflow.key, key, step.gate, workflow.steps) } : step]));
  return {
    ...(rest as unknown as Omit<RegisteredWorkflow, "parseInput" | "inputJsonSchema" | "description">),
    steps: steps as RegisteredWorkflow["steps"],
    description: rest.description ?? "",
    inputJsonSchema: input ? (z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as Record<string, unknown>) : null,
    parseInput: (raw) => {
      if (!input) return { ok: true, value: raw ?? {} };
      const parsed = input.safeParse(raw ?? {});
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: parsed.error.issues };
    },
  };
}

/**
 * Declares a deployment's catalog: the workflows a process has code for. Makes their resume
 * conditions known to this process (lib/instances/resume-conditions.ts), so that a resume checks
 * them whoever asks. Throws an Error when two entries share a key and version, since which code
 * would run would then depend on the order. Returns the list unchanged.
 */
export function defineCatalog(workflows: RegisteredWorkflow[]): RegisteredWorkflow[] {
  const seen = new Set<string>();
  for (const w of workflows) {
    const id = `${w.key}@${w.version}`;
    if (seen.has(id)) throw new Error(`the catalog lists ${id} twice`);
    seen.add(id);
  }
  registerResumeConditions(workflows);
  return workflows;
}

/** The metadata of a workflow's steps, as stored with its definition row. */
export function stepSpecs(workflow: RegisteredWorkflow): StepSpec[] {
  return Object.entries(workflow.steps).map(([key, step]) => ({
    key,
    name: step.name ?? key,
    dependsOn: step.dependsOn ?? [],
    ...(step.pauseBefore ? { pauseBefore: true } : {}),
    ...(step.gate ? { gate: step.gate } : {}),
    ...(step.retries !== undefined ? { retries: step.retries } : {}),
    ...(step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {}),
  }));
}

/**
 * A gate's rules that only the whole workflow can check, and its form as JSON Schema. Throws an
 * Error naming the workflow and step when: a percent gate has no `percent` in 1–100; an option's
 * name is not a step-key-like word or repeats; an option's or the expiry's `next` step does not
 * depend on the gated step (a branch starts after the gated step runs); a gate with options
 * expires by "continue" (which branch would it take?); the form is not a z.object of choices,
 * text, numbers and booleans.
 */
function checkGate(workflowKey: string, stepKey: string, gate: GateDefinition, steps: Record<string, { dependsOn?: string[] }>): GateSpec {
  const where = `${workflowKey}: gate of step "${stepKey}"`;
  if (gate.mode === "percent" && !(Number.isInteger(gate.percent) && gate.percent! >= 1 && gate.percent! <= 100)) throw new Error(`${where}: mode "percent" needs percent, a whole number from 1 to 100`);
  const branchTarget = (next: string, what: string) => {
    if (!steps[next]?.dependsOn?.includes(stepKey)) throw new Error(`${where}: ${what} leads to "${next}", which must be a step that depends on "${stepKey}"`);
  };
  const names = new Set<string>();
  for (const option of gate.options ?? []) {
    if (!STEP_KEY_PATTERN.test(option.name)) throw new Error(`${where}: option name ${JSON.stringify(option.name)} must match ${STEP_KEY_PATTERN}`);
    if (names.has(option.name)) throw new Error(`${where}: option "${option.name}" is listed twice`);
    names.add(option.name);
    branchTarget(option.next, `option "${option.name}"`);
  }
  if (gate.options?.length && gate.onExpiry === "continue") throw new Error(`${where}: a gate with options cannot expire by "continue"; expire to a step or fail`);
  if (typeof gate.onExpiry === "object") branchTarget(gate.onExpiry.step, "its expiry");
  const { form, ...spec } = gate;
  return form ? { ...spec, form: asGateForm(z.toJSONSchema(form, { io: "input", unrepresentable: "any" }) as Record<string, unknown>, where) } : spec;
}

function assertAcyclic(workflowKey: string, steps: Record<string, { dependsOn?: string[] }>) {
  const state = new Map<string, "visiting" | "done">();
  const visit = (key: string, path: string[]) => {
    if (state.get(key) === "done") return;
    if (state.get(key) === "visiting") throw new Error(`${workflowKey}: steps form a cycle: ${[...path, key].join(" → ")}`);
    state.set(key, "visiting");
    for (const dep of steps[key]?.dependsOn ?? []) visit(dep, [...path, key]);
    state.set(key, "done");
  };
  for (const key of Object.keys(steps)) visit(key, []);
}
