import type { Logger } from "pino";
import { z } from "zod";
import type { GateSpec, HeldStartPolicy, Instance, StepSpec } from "@/db/schema";
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
};

export type StepDefinition<Input> = {
  name?: string;
  dependsOn?: string[];
  /** A checkpoint: the instance pauses before this step, until an operator resumes it. */
  pauseBefore?: boolean;
  /** An approval gate: the instance waits before this step until approvers sign it off. */
  gate?: GateSpec;
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
export type RegisteredWorkflow = Omit<Workflow<unknown>, "input"> & {
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
 * depends on an unknown step, or the steps form a cycle.
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
  }
  assertAcyclic(workflow.key, workflow.steps);
  const ttl = workflow.whenPaused?.queueTtlSeconds;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 1 && ttl <= QUEUE_TTL_MAX_SECONDS)) {
    throw new Error(`${workflow.key}: whenPaused.queueTtlSeconds must be a whole number of seconds between 1 and ${QUEUE_TTL_MAX_SECONDS}`);
  }
  const { input, ...rest } = workflow;
  return {
    ...(rest as unknown as Omit<Workflow<unknown>, "input">),
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
